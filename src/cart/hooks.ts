import type { Types } from 'mongoose';
import type { AccountDeletionHook } from '../accounts/account-deletion';
import type { UserModel } from '../accounts/user.schema';
import type { Catalog, ProductsDeletedHook } from '../catalog/catalog.service';
import type { Cart } from './cart.service';

/*
 * What the areas below the cart do to the others' data, made here at the top, where every area is
 * known, and handed to them by app.ts and server.ts: accounts and the catalog import no area above
 * them, and write no collection that is not theirs.
 */

/** What the shop's areas do once an account is deleted: its products leave, its orders lose the email. */
export function accountDeletionHooks(catalog: Catalog, cart: Cart): AccountDeletionHook[] {
  return [(userId) => catalog.removeSeller(userId), (userId) => cart.forgetBuyer(userId)];
}

/** What the cart does once products are deleted: they leave every cart (through the cart.items.productId index). */
export function productDeletionHooks(users: UserModel): ProductsDeletedHook[] {
  return [(productIds) => removeFromEveryCart(users, productIds)];
}

/** What the cart does once a product is hidden by an admin: it leaves every cart, as a deleted one does. */
export function productHidingHooks(users: UserModel): ProductsDeletedHook[] {
  return [(productIds) => removeFromEveryCart(users, productIds)];
}

async function removeFromEveryCart(users: UserModel, productIds: Types.ObjectId[]): Promise<void> {
  await users.updateMany(
    { 'cart.items.productId': { $in: productIds } },
    { $pull: { 'cart.items': { productId: { $in: productIds } } } },
  );
}
