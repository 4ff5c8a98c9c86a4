import { Schema, type Types } from 'mongoose';

/*
 * The cart's part of the User document: the cart, the address kept for the next checkout and the
 * orders on their way from the cart into the orders collection. The cart area owns these fields
 * and is the only one that writes them: through the document's methods (a request's own shopper),
 * the pending orders' steps (pending-orders.ts) and the catalog's hook (a deleted product leaves
 * every cart). cart.plugin.ts adds them to accounts' User schema; src/user.model.ts compiles it.
 */

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

declare module '../accounts/user.schema' {
  interface IUser {
    cart: { items: CartItem[] };
    /** The address of the last checkout, offered again at the next one. */
    shippingAddress?: ShippingAddress;
    /** Orders claimed from the cart and not yet settled: normally for milliseconds, or until the next request after a crash. */
    pendingOrders?: PendingOrder[];
    /**
     * As a seller: the placed orders holding lines of theirs not yet shipped (orders-to-send.ts),
     * whose count the navigation shows without a read of its own.
     */
    ordersToSend?: Types.ObjectId[];
  }

  /**
   * Every cart change is one atomic update on the user document, never read-modify-save:
   * parallel requests from the same shopper (double clicks, several tabs) must all count.
   */
  interface IUserMethods {
    /**
     * Adds `quantity` (default 1) of a product: one more line, or a higher quantity on the existing one.
     * False, and nothing changed, when the line would go past `limit` (MAX_LINE_QUANTITY, or the
     * units in stock when fewer); AccountGoneError when the User is gone (deleted from another
     * device meanwhile).
     */
    addToCart(productId: Types.ObjectId, quantity?: number, limit?: number): Promise<boolean>;
    /** Sets a line's quantity (0 removes it); false, and nothing changed, when the product is not in the cart. */
    setCartQuantity(productId: Types.ObjectId, quantity: number): Promise<boolean>;
    removeFromCart(productId: Types.ObjectId): Promise<void>;
    /**
     * Moves the whole cart into a pending order `orderId` in one atomic update, which also keeps
     * `address` for the next checkout; undefined, and nothing changed, when the cart is empty (two
     * parallel orders can't both get it).
     */
    claimCart(
      orderId: Types.ObjectId,
      address: ShippingAddress | undefined,
      at: Date,
    ): Promise<PendingOrder | undefined>;
  }
}

export const cartItemSchema = new Schema<CartItem>(
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

export const pendingOrderSchema = new Schema<PendingOrder>(
  {
    id: { type: Schema.Types.ObjectId, required: true },
    items: { type: [cartItemSchema], required: true },
    address: { type: shippingAddressSchema, required: false },
    at: { type: Date, required: true },
    number: { type: Number, required: false },
  },
  { _id: false },
);
