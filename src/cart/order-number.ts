import { Schema, model } from 'mongoose';

/**
 * Order numbers: one shop-wide sequence in the `counters` collection, moved forward by one atomic
 * `$inc` per order, so that every process of the shop draws a different number. Short and easy to
 * read out on the phone ("order 1042"); the orders' unique index guards it all the same. A number
 * drawn for an order that then could not be saved is skipped, never reused.
 */
interface ICounter {
  _id: string;
  seq: number;
}

const counterSchema = new Schema<ICounter>({
  _id: { type: String, required: true },
  seq: { type: Number, required: true },
});

const Counter = model<ICounter>('Counter', counterSchema);

const ORDERS = 'orders';
/** The first order is number 1001: four digits from the start. */
const FIRST_ORDER_NUMBER = 1001;

export async function nextOrderNumber(): Promise<number> {
  const counter = await Counter.findOneAndUpdate(
    { _id: ORDERS },
    { $inc: { seq: 1 } },
    { upsert: true, returnDocument: 'after', projection: { seq: 1 } },
  ).lean<ICounter>();
  if (!counter) throw new Error('the order counter was not written');
  return FIRST_ORDER_NUMBER - 1 + counter.seq;
}

/** What the pages and the invoice call an order: its number, or for an order from before numbers, its id. */
export function orderLabel(order: { number?: number; _id: { toHexString(): string } }): string {
  return order.number !== undefined && order.number !== null ? String(order.number) : order._id.toHexString();
}

/** The invoice of an order carries the order's number: INV-1042. */
export function invoiceNumberOf(orderLabelText: string): string {
  return `INV-${orderLabelText}`;
}
