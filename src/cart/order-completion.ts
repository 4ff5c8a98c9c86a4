import type { Types } from 'mongoose';
import { Product, type ProductRecord } from '../catalog/product.model';
import { crashHook, type CrashHook } from '../platform/crash-points';
import { isDatabaseUnavailable } from '../platform/database/unavailable';
import { centsOf } from '../http/money';
import type { CartItem, PendingOrder } from './cart.model';
import { Order } from './order.model';
import { nextOrderNumber } from './order-number';
import { leaseIsOver, type PendingOrders } from './pending-orders';
import { isDuplicateKey } from '../platform/database/duplicate-key';

/*
 * Steps 2 and 3 of placing an order (cart.service.ts, docs/reliability.md): the order inserted
 * under the pending record's id with the number kept on the record, then the record removed.
 * Run by the request that claimed the cart, or, once its lease is over, by a later run: the
 * shopper's next request or a shop process's housekeeping.
 */

export interface CartLine {
  product: ProductRecord;
  quantity: number;
  /** Today's price of one unit, in cents. */
  unitCents: number;
  /** unitCents × quantity. */
  lineCents: number;
}

/**
 * The cart's items with their products as the database holds them now; `gone`: the products of
 * items that no longer exist (deleted meanwhile), which have no line.
 */
export async function cartLines(items: readonly CartItem[]): Promise<{ lines: CartLine[]; gone: Types.ObjectId[] }> {
  if (items.length === 0) return { lines: [], gone: [] };
  const products = await Product.find({ _id: { $in: items.map((item) => item.productId) } }).lean<ProductRecord[]>();
  const byId = new Map(products.map((product) => [product._id.toHexString(), product]));
  const lines: CartLine[] = [];
  const gone: Types.ObjectId[] = [];
  for (const item of items) {
    const product = byId.get(item.productId.toHexString());
    if (!product) {
      gone.push(item.productId);
      continue;
    }
    const unitCents = centsOf(product.price);
    lines.push({ product, quantity: item.quantity, unitCents, lineCents: unitCents * item.quantity });
  }
  return { lines, gone };
}

/**
 * What became of a pending order:
 *  - `ordered`: it is in the orders collection (this run or another put it there);
 *  - `nothing-left`: none of its products exists any more, or another run gave its lines back;
 *  - `buyer-gone`: the account was deleted meanwhile; an order this run inserted was deleted again.
 */
export type Completion = 'ordered' | 'nothing-left' | 'buyer-gone';

/**
 * Completes one pending order. Its number is drawn once and kept on the record before the order
 * is inserted, so that a completion repeated after a crash uses it again; inserting twice is a
 * duplicate key, which means "already done". The record is removed last, by an update that also
 * says whether the User still exists: when it does not, the account's clean-up may have run
 * before the order was in (it would have kept the buyer's email), so this run deletes the order
 * it inserted.
 *
 * When the order cannot be inserted: during an outage the record stays, for a later run; any other
 * failure (the order's data refused) would fail again, so the lines go back into the cart, and
 * the error is thrown on.
 */
export async function completeOrder(
  orders: PendingOrders,
  buyer: { _id: Types.ObjectId; email: string },
  pending: PendingOrder,
  crash: CrashHook,
): Promise<Completion> {
  const { lines } = await cartLines(pending.items);
  let inserted = false;
  if (lines.length > 0) {
    const number = pending.number ?? (await keepNewNumber(orders, buyer._id, pending.id));
    // The record went meanwhile: another run settled it.
    if (number === undefined) return outcomeElsewhere(orders, buyer._id, pending.id);
    try {
      await Order.create({
        _id: pending.id,
        number,
        items: lines.map(({ product, quantity }) => ({
          productId: product._id,
          title: product.title,
          price: product.price,
          quantity,
        })),
        user: { userId: buyer._id, email: buyer.email },
        shippingAddress: pending.address,
        createdAt: pending.at,
      });
      inserted = true;
    } catch (error) {
      // Another run may have inserted it (a duplicate _id, or number): then it is done, not refused.
      const unavailable = isDatabaseUnavailable(error);
      const alreadyIn = !unavailable && (await Order.exists({ _id: pending.id })) !== null;
      if (!alreadyIn || !isDuplicateKey(error)) {
        if (!alreadyIn && !unavailable) await orders.returnToCart(buyer._id, pending.id);
        throw error;
      }
    }
    crash('after-order');
  }
  if (!(await orders.settle(buyer._id, pending.id))) {
    if (inserted) await Order.deleteOne({ _id: pending.id });
    return 'buyer-gone';
  }
  crash('after-clear');
  return lines.length > 0 ? 'ordered' : 'nothing-left';
}

/**
 * Draws an order number and keeps it on the pending record, unless a parallel run kept one first
 * (then that one is used, and the one drawn here is skipped: the only way two runs meet is a
 * request slower than the lease). Undefined when the record is gone.
 */
async function keepNewNumber(
  orders: PendingOrders,
  userId: Types.ObjectId,
  orderId: Types.ObjectId,
): Promise<number | undefined> {
  return orders.keepNumber(userId, orderId, await nextOrderNumber());
}

/** A record another run settled: ordered, or given back (or its User gone). */
async function outcomeElsewhere(
  orders: PendingOrders,
  userId: Types.ObjectId,
  orderId: Types.ObjectId,
): Promise<Completion> {
  if (await Order.exists({ _id: orderId })) return 'ordered';
  return (await orders.buyerExists(userId)) ? 'nothing-left' : 'buyer-gone';
}

/**
 * Completes every order left pending longer than its lease, whoever's it is (the shoppers' next
 * requests would too, but a shopper may not come back). Returns how many were completed.
 */
export async function completeInterruptedOrders(
  orders: PendingOrders,
  { now, leaseMs }: { now: number; leaseMs: number },
): Promise<number> {
  let completed = 0;
  for (const user of await orders.withPendingOrders()) {
    for (const pending of user.pendingOrders ?? []) {
      if (!leaseIsOver(pending, now, leaseMs)) continue;
      if ((await completeOrder(orders, user, pending, crashHook(undefined))) === 'ordered') completed++;
    }
  }
  return completed;
}
