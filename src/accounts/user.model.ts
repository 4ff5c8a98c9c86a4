import { Schema, Types, model, type HydratedDocument, type Model } from 'mongoose';
import { AccountGoneError } from './account-gone';

export interface CartItem {
  productId: Types.ObjectId;
  quantity: number;
}

/** The most units of one product a cart line holds (and so one order): adds and updates stop there. */
export const MAX_LINE_QUANTITY = 99;

/** Where a shopper's orders go; kept on the User so that the checkout form is filled in next time. */
export interface ShippingAddress {
  name: string;
  street: string;
  postcode: string;
  city: string;
  /** An ISO 3166 code from the countries the shop delivers to (cart/shipping.ts). */
  country: string;
}

/**
 * An order on its way from the cart into the orders collection (cart/cart.service.ts): its lines
 * were moved here in the very update that emptied the cart, so at every moment each unit is in the
 * cart, here, or in the order. The order is inserted with `id` as its _id (a second insert is a
 * duplicate key, not a second order), then this record is removed.
 */
export interface PendingOrder {
  id: Types.ObjectId;
  items: CartItem[];
  /** Where it goes: the checkout's address; none for a bare POST /create-order with none kept. */
  address?: ShippingAddress;
  /**
   * When the shopper ordered: the order's date, however late it is completed. Until
   * PENDING_ORDER_LEASE_MS after it, the order belongs to the request placing it.
   */
  at: Date;
  /** The order number, once drawn: a completion repeated after a crash uses it again. */
  number?: number;
}

export interface IUser {
  email: string;
  /** A bcrypt hash; never leaves this document (not in sessions, not in views). */
  password: string;
  cart: { items: CartItem[] };
  /**
   * Moves forward whenever every session of the shopper must end (log out everywhere, a password
   * change). A session carries the generation it began in; loadUser refuses any other, so a session
   * document that comes back by any path after that (a write in flight, a restored backup) is dead.
   */
  sessionGeneration: number;
  /** Whether the shopper opened the link mailed to their address (browsing and ordering do not wait for it). */
  emailVerified: boolean;
  /** The address of the last checkout, offered again at the next one. */
  shippingAddress?: ShippingAddress;
  /** Orders claimed from the cart and not yet settled: normally for milliseconds, or until the next request after a crash. */
  pendingOrders?: PendingOrder[];
}

/**
 * Every cart change is one atomic update on the user document, never read-modify-save:
 * parallel requests from the same shopper (double clicks, several tabs) must all count.
 */
export interface IUserMethods {
  /**
   * Adds `quantity` (default 1) of a product: one more line, or a higher quantity on the existing one.
   * False, and nothing changed, when the line would go past MAX_LINE_QUANTITY; AccountGoneError
   * when the User is gone (deleted from another device meanwhile).
   */
  addToCart(productId: Types.ObjectId, quantity?: number): Promise<boolean>;
  /** Sets a line's quantity (0 removes it); false, and nothing changed, when the product is not in the cart. */
  setCartQuantity(productId: Types.ObjectId, quantity: number): Promise<boolean>;
  removeFromCart(productId: Types.ObjectId): Promise<void>;
  clearCart(): Promise<void>;
  /**
   * Moves the whole cart into a pending order `orderId` in one atomic update, which also keeps
   * `address` for the next checkout; undefined, and nothing changed, when the cart is empty (two
   * parallel orders can't both get it).
   */
  claimCart(orderId: Types.ObjectId, address: ShippingAddress | undefined, at: Date): Promise<PendingOrder | undefined>;
}

export type UserModel = Model<IUser, object, IUserMethods>;
export type UserDocument = HydratedDocument<IUser, IUserMethods>;

const cartItemSchema = new Schema<CartItem>(
  {
    productId: { type: Schema.Types.ObjectId, ref: 'Product', required: true },
    quantity: { type: Number, required: true, min: 1 },
  },
  { _id: false },
);

/** An address as the checkout takes it: kept on the User for next time, copied into each order. */
export const shippingAddressSchema = new Schema<ShippingAddress>(
  {
    name: { type: String, required: true },
    street: { type: String, required: true },
    postcode: { type: String, required: true },
    city: { type: String, required: true },
    country: { type: String, required: true },
  },
  { _id: false },
);

const pendingOrderSchema = new Schema<PendingOrder>(
  {
    id: { type: Schema.Types.ObjectId, required: true },
    items: { type: [cartItemSchema], required: true },
    address: { type: shippingAddressSchema, required: false },
    at: { type: Date, required: true },
    number: { type: Number, required: false },
  },
  { _id: false },
);

const userSchema = new Schema<IUser, UserModel, IUserMethods>(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true },
    password: { type: String, required: true },
    cart: {
      items: { type: [cartItemSchema], default: [] },
    },
    sessionGeneration: { type: Number, default: 0 },
    emailVerified: { type: Boolean, default: false },
    shippingAddress: { type: shippingAddressSchema, required: false },
    // No default: the field is absent until a shopper's first order.
    pendingOrders: { type: [pendingOrderSchema], default: undefined },
  },
  { timestamps: true },
);

// Deleting a product takes it out of every cart that holds it.
userSchema.index({ 'cart.items.productId': 1 });
// The start-up sweep finds the orders a crash interrupted; sparse: only the few users with one.
userSchema.index({ 'pendingOrders.id': 1 }, { sparse: true });

// Two updates, each guarded so that only one can apply: $inc when the item is there (and stays within
// the line's limit), $push (guarded by $ne) when it isn't. The cart as loaded with this document says
// which one to send first, so an add costs one round trip; when a parallel request changed the cart
// meanwhile, the guess misses, matches nothing, and the other update follows. A missed $inc may also
// mean a full line: only then is the cart read, to tell the two apart.
const ADD_TO_CART_STEPS = 8;

userSchema.method(
  'addToCart',
  async function addToCart(this: UserDocument, productId: Types.ObjectId, quantity = 1): Promise<boolean> {
    let inCart = this.cart.items.some((item) => item.productId.equals(productId));
    for (let step = 0; step < ADD_TO_CART_STEPS; step++) {
      const result = inCart
        ? await User.updateOne(
            {
              _id: this._id,
              'cart.items': { $elemMatch: { productId, quantity: { $lte: MAX_LINE_QUANTITY - quantity } } },
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
          'cart.items': { $elemMatch: { productId, quantity: { $gt: MAX_LINE_QUANTITY - quantity } } },
        });
        if (full) return false;
      }
      inCart = !inCart;
    }
    // Neither update matched repeatedly, the User still there: its cart keeps changing under us.
    throw new Error(`could not add product ${productId.toHexString()} to the cart of user ${this._id.toHexString()}`);
  },
);

userSchema.method(
  'setCartQuantity',
  async function setCartQuantity(this: UserDocument, productId: Types.ObjectId, quantity: number): Promise<boolean> {
    const line = { _id: this._id, 'cart.items.productId': productId };
    const result =
      quantity === 0
        ? await User.updateOne(line, { $pull: { 'cart.items': { productId } } })
        : await User.updateOne(line, { $set: { 'cart.items.$.quantity': quantity } });
    return result.matchedCount === 1;
  },
);

userSchema.method('removeFromCart', async function removeFromCart(this: UserDocument, productId: Types.ObjectId) {
  await User.updateOne({ _id: this._id }, { $pull: { 'cart.items': { productId } } });
});

userSchema.method('clearCart', async function clearCart(this: UserDocument) {
  await User.updateOne({ _id: this._id }, { $set: { 'cart.items': [] } });
});

userSchema.method(
  'claimCart',
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
    const after = await User.findOneAndUpdate(
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
    ).lean<Pick<IUser, 'pendingOrders'>>();
    return after?.pendingOrders?.find((order) => order.id.equals(orderId));
  },
);

/** Just the address's fields, in their order. */
function addressOf({ name, street, postcode, city, country }: ShippingAddress): ShippingAddress {
  return { name, street, postcode, city, country };
}

export const User = model<IUser, UserModel>('User', userSchema);

/**
 * The order is in the orders collection (or could not be, its products all gone): the record goes.
 * False when the User itself is gone (the account deleted meanwhile).
 */
export async function settlePendingOrder(userId: Types.ObjectId, orderId: Types.ObjectId): Promise<boolean> {
  const result = await User.updateOne({ _id: userId }, { $pull: { pendingOrders: { id: orderId } } });
  return result.matchedCount === 1;
}

/**
 * An order that cannot be saved (its data refused, not a passing outage) gives its lines back: in
 * one update the pending record goes and each line is added to the cart, to the line of the same
 * product if the shopper has added it meanwhile (past MAX_LINE_QUANTITY if need be: nothing is
 * dropped). Only once: a record already gone matches nothing.
 */
export async function returnPendingOrderToCart(userId: Types.ObjectId, orderId: Types.ObjectId): Promise<void> {
  // $arrayElemAt and $let rather than $first and $getField: MongoDB 4.2 runs them too.
  const items = {
    $let: {
      vars: {
        pending: { $arrayElemAt: [{ $filter: { input: '$pendingOrders', cond: { $eq: ['$$this.id', orderId] } } }, 0] },
      },
      in: '$$pending.items',
    },
  };
  await User.updateOne(
    { _id: userId, 'pendingOrders.id': orderId },
    [
      {
        $set: {
          'cart.items': {
            $reduce: {
              input: items,
              initialValue: { $ifNull: ['$cart.items', []] },
              in: {
                $cond: [
                  { $in: ['$$this.productId', '$$value.productId'] },
                  {
                    $map: {
                      input: '$$value',
                      as: 'line',
                      in: {
                        $cond: [
                          { $eq: ['$$line.productId', '$$this.productId'] },
                          { productId: '$$line.productId', quantity: { $add: ['$$line.quantity', '$$this.quantity'] } },
                          '$$line',
                        ],
                      },
                    },
                  },
                  { $concatArrays: ['$$value', [{ productId: '$$this.productId', quantity: '$$this.quantity' }]] },
                ],
              },
            },
          },
          pendingOrders: { $filter: { input: '$pendingOrders', cond: { $ne: ['$$this.id', orderId] } } },
        },
      },
    ],
    { updatePipeline: true },
  );
}

/** Every shopper with an order a crash interrupted, for the start-up sweep (served by the sparse index). */
export function usersWithPendingOrders(): Promise<
  Array<Pick<IUser, 'email' | 'pendingOrders'> & { _id: Types.ObjectId }>
> {
  return User.find({ 'pendingOrders.id': { $exists: true } }, { email: 1, pendingOrders: 1 }).lean<
    Array<Pick<IUser, 'email' | 'pendingOrders'> & { _id: Types.ObjectId }>
  >();
}
