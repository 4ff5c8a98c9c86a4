import { Schema, Types, model, type HydratedDocument, type Model } from 'mongoose';

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
  /** An ISO 3166 code from the countries the shop delivers to (cart/countries.ts). */
  country: string;
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
}

/**
 * Every cart change is one atomic update on the user document, never read-modify-save:
 * parallel requests from the same shopper (double clicks, several tabs) must all count.
 */
export interface IUserMethods {
  /**
   * Adds `quantity` (default 1) of a product: one more line, or a higher quantity on the existing one.
   * False, and nothing changed, when the line would go past `upTo` (default MAX_LINE_QUANTITY).
   */
  addToCart(productId: Types.ObjectId, quantity?: number, options?: { upTo?: number }): Promise<boolean>;
  /** Sets a line's quantity (0 removes it); false, and nothing changed, when the product is not in the cart. */
  setCartQuantity(productId: Types.ObjectId, quantity: number): Promise<boolean>;
  removeFromCart(productId: Types.ObjectId): Promise<void>;
  clearCart(): Promise<void>;
  /** Empties the cart in one step and returns what it held: two parallel orders can't both get it. */
  takeCart(): Promise<CartItem[]>;
  /** Keeps the address for the next checkout; no write when it is the one already kept. */
  saveShippingAddress(address: ShippingAddress): Promise<void>;
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

const shippingAddressSchema = new Schema<ShippingAddress>(
  {
    name: { type: String, required: true },
    street: { type: String, required: true },
    postcode: { type: String, required: true },
    city: { type: String, required: true },
    country: { type: String, required: true },
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
  },
  { timestamps: true },
);

// Deleting a product takes it out of every cart that holds it.
userSchema.index({ 'cart.items.productId': 1 });

// Two updates, each guarded so that only one can apply: $inc when the item is there (and stays within
// the line's limit), $push (guarded by $ne) when it isn't. The cart as loaded with this document says
// which one to send first, so an add costs one round trip; when a parallel request changed the cart
// meanwhile, the guess misses, matches nothing, and the other update follows. A missed $inc may also
// mean a full line: only then is the cart read, to tell the two apart.
const ADD_TO_CART_STEPS = 8;

userSchema.method(
  'addToCart',
  async function addToCart(
    this: UserDocument,
    productId: Types.ObjectId,
    quantity = 1,
    { upTo = MAX_LINE_QUANTITY }: { upTo?: number } = {},
  ): Promise<boolean> {
    const withRoom = Number.isFinite(upTo) ? { productId, quantity: { $lte: upTo - quantity } } : { productId };
    let inCart = this.cart.items.some((item) => item.productId.equals(productId));
    for (let step = 0; step < ADD_TO_CART_STEPS; step++) {
      const result = inCart
        ? await User.updateOne(
            { _id: this._id, 'cart.items': { $elemMatch: withRoom } },
            { $inc: { 'cart.items.$.quantity': quantity } },
          )
        : await User.updateOne(
            { _id: this._id, 'cart.items.productId': { $ne: productId } },
            { $push: { 'cart.items': { productId, quantity } } },
          );
      if (result.matchedCount === 1) return true;
      if (inCart && Number.isFinite(upTo)) {
        const full = await User.exists({
          _id: this._id,
          'cart.items': { $elemMatch: { productId, quantity: { $gt: upTo - quantity } } },
        });
        if (full) return false;
      }
      inCart = !inCart;
    }
    // Neither update matched repeatedly: the user document is gone (or keeps changing under us).
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

userSchema.method('takeCart', async function takeCart(this: UserDocument): Promise<CartItem[]> {
  // findOneAndUpdate returns the document as it was before the update: the claimed items.
  const before = await User.findOneAndUpdate(
    { _id: this._id, 'cart.items.0': { $exists: true } },
    { $set: { 'cart.items': [] } },
    { returnDocument: 'before', projection: { 'cart.items': 1 } },
  ).lean<Pick<IUser, 'cart'>>();
  return before?.cart.items ?? [];
});

userSchema.method(
  'saveShippingAddress',
  async function saveShippingAddress(this: UserDocument, address: ShippingAddress): Promise<void> {
    const kept = this.shippingAddress;
    const same =
      kept !== undefined &&
      kept !== null &&
      (['name', 'street', 'postcode', 'city', 'country'] as const).every((field) => kept[field] === address[field]);
    if (same) return;
    const { name, street, postcode, city, country } = address;
    await User.updateOne({ _id: this._id }, { $set: { shippingAddress: { name, street, postcode, city, country } } });
  },
);

export const User = model<IUser, UserModel>('User', userSchema);
