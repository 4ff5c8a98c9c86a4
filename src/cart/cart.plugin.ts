import { Schema, type Types } from 'mongoose';
import { AccountGoneError } from '../accounts/account-gone';
import type { IUser, IUserMethods, UserDocument, UserModel } from '../accounts/user.schema';
import {
  MAX_LINE_QUANTITY,
  cartItemSchema,
  pendingOrderSchema,
  shippingAddressSchema,
  type PendingOrder,
  type ShippingAddress,
} from './cart.model';

/**
 * The mongoose plugin that adds the cart's part (cart.model.ts) to accounts' User schema: its
 * fields, their indexes and the cart's methods, which every User document then has (loadUser's
 * `req.user`). Applied by src/user.model.ts, before the model is compiled.
 */
export function cartOfUser(schema: Schema<IUser, UserModel, IUserMethods>): void {
  schema.add({
    cart: {
      items: { type: [cartItemSchema], default: [] },
    },
    shippingAddress: { type: shippingAddressSchema, required: false },
    // No default: the field is absent until a shopper's first order.
    pendingOrders: { type: [pendingOrderSchema], default: undefined },
    // Absent until a seller's first order.
    ordersToSend: { type: [Schema.Types.ObjectId], default: undefined },
  });
  // Deleting a product takes it out of every cart that holds it.
  schema.index({ 'cart.items.productId': 1 });
  // The housekeeping finds the orders a crash interrupted; sparse: only the few users with one.
  schema.index({ 'pendingOrders.id': 1 }, { sparse: true });
  schema.method({ addToCart, setCartQuantity, removeFromCart, claimCart });
}

// Two updates, each guarded so that only one can apply: $inc when the item is there (and stays within
// the line's limit), $push (guarded by $ne) when it isn't. The cart as loaded with this document says
// which one to send first, so an add costs one round trip; when a parallel request changed the cart
// meanwhile, the guess misses, matches nothing, and the other update follows. A missed $inc may also
// mean a full line: only then is the cart read, to tell the two apart.
const ADD_TO_CART_STEPS = 8;

async function addToCart(
  this: UserDocument,
  productId: Types.ObjectId,
  quantity = 1,
  limit = MAX_LINE_QUANTITY,
): Promise<boolean> {
  if (quantity > limit) return false;
  const User = this.$model<UserModel>();
  let inCart = this.cart.items.some((item) => item.productId.equals(productId));
  for (let step = 0; step < ADD_TO_CART_STEPS; step++) {
    const result = inCart
      ? await User.updateOne(
          {
            _id: this._id,
            'cart.items': { $elemMatch: { productId, quantity: { $lte: limit - quantity } } },
          },
          { $inc: { 'cart.items.$.quantity': quantity } },
        )
      : await User.updateOne(
          { _id: this._id, 'cart.items.productId': { $ne: productId } },
          { $push: { 'cart.items': { productId, quantity } } },
        );
    if (result.matchedCount === 1) return true;
    // Both updates missed: no User matches any more, or a parallel request changed the line.
    if (step === 1 && !(await User.exists({ _id: this._id }))) throw new AccountGoneError();
    if (inCart) {
      const full = await User.exists({
        _id: this._id,
        'cart.items': { $elemMatch: { productId, quantity: { $gt: limit - quantity } } },
      });
      if (full) return false;
    }
    inCart = !inCart;
  }
  // Neither update matched repeatedly, the User still there: its cart keeps changing under us.
  throw new Error(`could not add product ${productId.toHexString()} to the cart of user ${this._id.toHexString()}`);
}

async function setCartQuantity(this: UserDocument, productId: Types.ObjectId, quantity: number): Promise<boolean> {
  const User = this.$model<UserModel>();
  const line = { _id: this._id, 'cart.items.productId': productId };
  const result =
    quantity === 0
      ? await User.updateOne(line, { $pull: { 'cart.items': { productId } } })
      : await User.updateOne(line, { $set: { 'cart.items.$.quantity': quantity } });
  return result.matchedCount === 1;
}

async function removeFromCart(this: UserDocument, productId: Types.ObjectId): Promise<void> {
  await this.$model<UserModel>().updateOne({ _id: this._id }, { $pull: { 'cart.items': { productId } } });
}

async function claimCart(
  this: UserDocument,
  orderId: Types.ObjectId,
  address: ShippingAddress | undefined,
  at: Date,
): Promise<PendingOrder | undefined> {
  // An update pipeline, so that the cart's lines move as the database holds them at this instant,
  // not as this request loaded them. What the shopper typed only ever enters as a $literal: an
  // address line such as "$cart" must stay text, never become a field path.
  const pending = {
    id: { $literal: orderId },
    items: '$cart.items',
    ...(address ? { address: { $literal: addressOf(address) } } : {}),
    at: { $literal: at },
  };
  const after = await this.$model<UserModel>()
    .findOneAndUpdate(
      { _id: this._id, 'cart.items.0': { $exists: true } },
      [
        {
          $set: {
            pendingOrders: { $concatArrays: [{ $ifNull: ['$pendingOrders', []] }, [pending]] },
            'cart.items': { $literal: [] },
            ...(address ? { shippingAddress: { $literal: addressOf(address) } } : {}),
          },
        },
      ],
      { returnDocument: 'after', projection: { pendingOrders: 1 }, updatePipeline: true },
    )
    .lean<Pick<IUser, 'pendingOrders'>>();
  return after?.pendingOrders?.find((order) => order.id.equals(orderId));
}

/** Just the address's fields, in their order. */
function addressOf({ name, street, postcode, city, country }: ShippingAddress): ShippingAddress {
  return { name, street, postcode, city, country };
}
