import { Schema, Types, model, type Model } from 'mongoose';
import { shippingAddressSchema, type ShippingAddress } from './cart.model';

/** Where an order is in its life: placed → shipped → delivered, or cancelled while placed. */
export type OrderStatus = 'placed' | 'shipped' | 'delivered' | 'cancelled';
export const ORDER_STATUSES: readonly OrderStatus[] = ['placed', 'shipped', 'delivered', 'cancelled'];

/** What was bought, as it was at the time: later edits or deletions of the product don't change it. */
export interface IOrderItem {
  productId: Types.ObjectId;
  title: string;
  price: number;
  quantity: number;
  /** Whose product it was (orders from before sellers saw their orders have none). */
  sellerId?: Types.ObjectId;
  /** When its seller (or an admin) sent it. */
  shippedAt?: Date;
  /** When it was marked delivered. */
  deliveredAt?: Date;
}

/** One change of an order's status, with its time: the order's history. */
export interface OrderEvent {
  status: OrderStatus;
  at: Date;
}

export interface IOrder {
  /**
   * The order number shoppers see (order-number.ts): a shop-wide sequence, unique. Orders placed
   * before numbers existed have none and show their id instead.
   */
  number?: number;
  items: IOrderItem[];
  /** The buyer; the email is removed when they delete their account (the order stays for the books). */
  user: { userId: Types.ObjectId; email?: string };
  /** Where it goes, as typed at checkout (older orders have none). Paid on delivery. */
  shippingAddress?: ShippingAddress;
  createdAt: Date;
  /** Absent on orders from before statuses: they count as placed. */
  status?: OrderStatus;
  /** Every status the order had, oldest first, from `placed`. */
  history?: OrderEvent[];
  /**
   * Set by the cancellation until its units are back in stock (order-cancellation.ts): the
   * housekeeping finishes a cancellation a crash interrupted. Absent otherwise.
   */
  restockPending?: boolean;
}

export type OrderModel = Model<IOrder>;
export type OrderRecord = IOrder & { _id: Types.ObjectId };

/** The status of an order as read: older orders without one are placed. */
export function orderStatusOf(order: Pick<IOrder, 'status'>): OrderStatus {
  return order.status ?? 'placed';
}

/** A filter for placed orders, older ones without a status included (`null` matches a missing field). */
export const PLACED = { status: { $in: ['placed' as const, null] } };

const orderItemSchema = new Schema<IOrderItem>(
  {
    productId: { type: Schema.Types.ObjectId, required: true },
    title: { type: String, required: true },
    price: { type: Number, required: true },
    quantity: { type: Number, required: true, min: 1 },
    sellerId: { type: Schema.Types.ObjectId, required: false },
    shippedAt: { type: Date, required: false },
    deliveredAt: { type: Date, required: false },
  },
  { _id: false },
);

const orderSchema = new Schema<IOrder, OrderModel>({
  // Sparse: the orders from before numbers existed have none.
  number: { type: Number, unique: true, sparse: true },
  items: { type: [orderItemSchema], required: true },
  user: {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    email: { type: String },
  },
  shippingAddress: { type: shippingAddressSchema, required: false },
  createdAt: { type: Date, required: true, default: () => new Date() },
  status: { type: String, enum: ORDER_STATUSES, required: false },
  history: {
    type: [new Schema<OrderEvent>({ status: { type: String, enum: ORDER_STATUSES }, at: Date }, { _id: false })],
    default: undefined,
  },
  restockPending: { type: Boolean, required: false },
});

// A seller's orders, newest first (GET /admin/orders); the units sold of a page of products.
orderSchema.index({ 'items.sellerId': 1, createdAt: -1 });
orderSchema.index({ 'items.productId': 1 });
// An admin's list of every order, newest first.
orderSchema.index({ createdAt: -1 });
// The few cancellations a crash interrupted, for the housekeeping.
orderSchema.index({ restockPending: 1 }, { sparse: true });

export const Order = model<IOrder, OrderModel>('Order', orderSchema);
