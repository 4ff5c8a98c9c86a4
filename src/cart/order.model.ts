import { Schema, Types, model, type HydratedDocument, type Model } from 'mongoose';

/** What was bought, as it was at the time: later edits or deletions of the product don't change it. */
export interface IOrderItem {
  productId: Types.ObjectId;
  title: string;
  price: number;
  quantity: number;
}

export interface IOrder {
  items: IOrderItem[];
  /** The buyer; the email is removed when they delete their account (the order stays for the books). */
  user: { userId: Types.ObjectId; email?: string };
  createdAt: Date;
}

export type OrderModel = Model<IOrder>;
export type OrderDocument = HydratedDocument<IOrder>;

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
  items: { type: [orderItemSchema], required: true },
  user: {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    email: { type: String },
  },
  createdAt: { type: Date, required: true, default: () => new Date() },
});

export const Order = model<IOrder, OrderModel>('Order', orderSchema);

/** Totals in cents, so that 0.1 + 0.2 never shows up on a receipt. */
export function totalInCents(items: ReadonlyArray<{ price: number; quantity: number }>): number {
  return items.reduce((sum, item) => sum + Math.round(item.price * 100) * item.quantity, 0);
}
