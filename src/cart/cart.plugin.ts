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

/**
 * Adds `quantity` of a product to the cart in one update, whatever the cart holds by then: the
 * line's quantity raised if it is there, the line added if not (an update pipeline), unless the
 * line would pass `limit`. Nothing is read first and nothing retried, so parallel adds and removals
 * of one line each count once and never starve one another (two guarded updates taking turns,
 * $inc then $push, could miss each other indefinitely under a storm of them: the bench's (e) saw it).
 */
async function addToCart(
  this: UserDocument,
  productId: Types.ObjectId,
  quantity = 1,
  limit = MAX_LINE_QUANTITY,
): Promise<boolean> {
  if (quantity > limit) return false;
  const User = this.$model<UserModel>();
  const items = { $ifNull: ['$cart.items', []] };
  const result = await User.collection.updateOne(
    { _id: this._id, 'cart.items': { $not: { $elemMatch: { productId, quantity: { $gt: limit - quantity } } } } },
    [
      {
        $set: {
          'cart.items': {
            $cond: [
              { $in: [productId, { $ifNull: ['$cart.items.productId', []] }] },
              {
                $map: {
                  input: items,
                  as: 'item',
                  in: {
                    $cond: [
                      { $eq: ['$$item.productId', productId] },
                      { $mergeObjects: ['$$item', { quantity: { $add: ['$$item.quantity', quantity] } }] },
                      '$$item',
                    ],
                  },
                },
              },
              { $concatArrays: [items, [{ productId, quantity }]] },
            ],
          },
        },
      },
    ],
  );
  if (result.matchedCount === 1) return true;
  // Nothing matched: the line is full, or no User matches any more.
  if (!(await User.exists({ _id: this._id }))) throw new AccountGoneError();
  return false;
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
