import { Schema, Types, model, type Model } from 'mongoose';
import { shippingAddressSchema, type ShippingAddress } from './cart.model';

/** What was bought, as it was at the time: later edits or deletions of the product don't change it. */
export interface IOrderItem {
  productId: Types.ObjectId;
  title: string;
  price: number;
  quantity: number;
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
}

export type OrderModel = Model<IOrder>;
export type OrderRecord = IOrder & { _id: Types.ObjectId };

const orderItemSchema = new Schema<IOrderItem>(
  {
    productId: { type: Schema.Types.ObjectId, required: true },
    title: { type: String, required: true },
    price: { type: Number, required: true },
    quantity: { type: Number, required: true, min: 1 },
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
});

export const Order = model<IOrder, OrderModel>('Order', orderSchema);
