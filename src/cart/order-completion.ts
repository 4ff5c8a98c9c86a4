import type { Types } from 'mongoose';
import type { ProductStock } from '../catalog/stock';
import { crashHook, type CrashHook } from '../platform/crash-points';
import { isDatabaseUnavailable } from '../platform/database/unavailable';
import { isDuplicateKey } from '../platform/database/duplicate-key';
import type { PendingOrder } from './cart.model';
import { cartLines, type CartLine } from './cart-lines';
import { Order, type OrderRecord } from './order.model';
import { nextOrderNumber } from './order-number';
import { OrdersToSend, sellersOf } from './orders-to-send';
import { leaseIsOver, type PendingOrders } from './pending-orders';
import { giveBack, releaseStock, takeStock, type ShortLine, type TakenStock } from './stock-taking';

/*
 * The steps of placing an order after the claim (cart.service.ts, docs/reliability.md): the units
 * taken, the number kept on the pending record, the order inserted under the record's id, the
 * record removed, the units' markers released. Run by the request that claimed the cart, or, once
 * its lease is over, by a later run: the shopper's next request or a shop process's housekeeping.
 */

export type { CartLine } from './cart-lines';
export { cartLines } from './cart-lines';

/** What a run of the steps needs: the records, the products' stock, the sellers' lists, the crash points. */
export interface CompletionSteps {
  orders: PendingOrders;
  stock: ProductStock;
  sellers: OrdersToSend;
  crash: CrashHook;
  /** Told of an order this run inserted, once it is settled (the sellers' mail). */
  onOrdered?: (order: OrderRecord) => void;
}

/**
 * What became of a pending order:
 *  - `ordered`: it is in the orders collection (this run or another put it there);
 *  - `short`: some lines have fewer units than asked for: nothing is taken, the lines are back in the cart;
 *  - `nothing-left`: none of its products exists any more, or another run gave its lines back;
 *  - `buyer-gone`: the account was deleted meanwhile; an order this run inserted was deleted again.
 */
export type Completion =
  { kind: 'ordered' } | { kind: 'short'; lines: ShortLine[] } | { kind: 'nothing-left' } | { kind: 'buyer-gone' };

/**
 * Completes one pending order.
 *
 * 1. Each tracked line's units are taken (stock-taking.ts), each with a marker of the order on the
 *    product, so a repeated run takes nothing twice. A short line ends it: the record goes back
 *    into the cart, then every unit the order holds is given back (a crash between the two leaves
 *    markers of an order that exists nowhere: the housekeeping gives them back).
 * 2. The number is drawn only now, so a short order skips none, and kept on the record before the
 *    order is inserted: a repeated run uses it again, and inserting twice is a duplicate key,
 *    which means "already done".
 * 3. The record is removed by an update that also says whether the User still exists: when it does
 *    not, the account's clean-up may have run before the order was in, so this run deletes the
 *    order it inserted and gives its units back.
 * 4. The markers go; the units stay in the order.
 *
 * A run that took units itself and then finds the record gone (another run settled it, or gave
 * its lines back, while this one worked from an older copy) gives back exactly what it took: while
 * the record exists no marker of it is ever removed, so a take that succeeded then was the order's
 * own, and one that succeeded after was this run's alone.
 *
 * When the order cannot be inserted: during an outage the record stays, for a later run; any other
 * failure (the order's data refused) would fail again, so the lines go back into the cart and the
 * units back to stock, and the error is thrown on.
 */
export async function completeOrder(
  steps: CompletionSteps,
  buyer: { _id: Types.ObjectId; email: string },
  pending: PendingOrder,
): Promise<Completion> {
  const { orders, stock, crash } = steps;
  const { lines: read } = await cartLines(pending.items, { withHidden: true });
  const taken = await takeStock(stock, read, pending.id);
  if (taken.short.length > 0) return giveUpShort(steps, buyer._id, pending, read, taken);
  if (read.length > 0) crash('after-stock');
  const lines = read.filter((line) => !taken.gone.has(line.product._id.toHexString()));
  if (lines.length === 0) {
    if (!(await orders.settle(buyer._id, pending.id))) return { kind: 'buyer-gone' };
    return { kind: 'nothing-left' };
  }

  let number = pending.number;
  if (number === undefined) number = await orders.keepNumber(buyer._id, pending.id, await nextOrderNumber());
  else if (taken.own.length > 0 && !(await orders.recordExists(buyer._id, pending.id))) number = undefined;
  if (number === undefined) {
    await giveBack(stock, taken.own, pending.id);
    return outcomeElsewhere(orders, buyer._id, pending.id);
  }

  const sellers = sellersOf(lines.map((line) => ({ sellerId: line.product.userId })));
  // Before the insert: a seller who ships at once removes an id that is already there.
  await steps.sellers.add(sellers, pending.id);
  const order = orderRecord(pending, number, lines, buyer);
  let inserted = false;
  try {
    await Order.create(order);
    inserted = true;
  } catch (error) {
    // Another run may have inserted it (a duplicate _id, or number): then it is done, not refused.
    const unavailable = isDatabaseUnavailable(error);
    const alreadyIn = !unavailable && (await Order.exists({ _id: pending.id })) !== null;
    if (!alreadyIn || !isDuplicateKey(error)) {
      if (!alreadyIn && !unavailable) {
        const returned = await orders.returnToCart(buyer._id, pending.id);
        await giveBack(stock, returned ? taken.held : taken.own, pending.id);
        await steps.sellers.remove(sellers, pending.id);
      }
      throw error;
    }
  }
  crash('after-order');
  if (!(await orders.settle(buyer._id, pending.id))) {
    if (inserted) {
      await Order.deleteOne({ _id: pending.id });
      await giveBack(stock, taken.held, pending.id);
      await steps.sellers.remove(sellers, pending.id);
    }
    return { kind: 'buyer-gone' };
  }
  crash('after-clear');
  await releaseStock(stock, taken.held, pending.id);
  if (inserted) steps.onOrdered?.(order);
  return { kind: 'ordered' };
}

/**
 * A short line: the record goes back into the cart (only one run can do that), then every unit the
 * order holds goes back to stock. A run that finds the record gone already gives back only what
 * it took itself.
 */
async function giveUpShort(
  steps: CompletionSteps,
  userId: Types.ObjectId,
  pending: PendingOrder,
  lines: readonly CartLine[],
  taken: TakenStock,
): Promise<Completion> {
  const returned = await steps.orders.returnToCart(userId, pending.id, { unnumbered: true });
  if (!returned) {
    await giveBack(steps.stock, taken.own, pending.id);
    return outcomeElsewhere(steps.orders, userId, pending.id);
  }
  steps.crash('after-short-return');
  await giveBack(steps.stock, lines, pending.id);
  return { kind: 'short', lines: taken.short };
}

/** The order as inserted: what was bought, from whom, at the prices and titles of the moment. */
function orderRecord(
  pending: PendingOrder,
  number: number,
  lines: readonly CartLine[],
  buyer: { _id: Types.ObjectId; email: string },
): OrderRecord {
  return {
    _id: pending.id,
    number,
    items: lines.map(({ product, quantity }) => ({
      productId: product._id,
      title: product.title,
      price: product.price,
      quantity,
      sellerId: product.userId,
    })),
    user: { userId: buyer._id, email: buyer.email },
    shippingAddress: pending.address,
    createdAt: pending.at,
    status: 'placed',
    history: [{ status: 'placed', at: pending.at }],
  };
}

/** A record another run settled: ordered, or given back (or its User gone). */
async function outcomeElsewhere(
  orders: PendingOrders,
  userId: Types.ObjectId,
  orderId: Types.ObjectId,
): Promise<Completion> {
  if (await Order.exists({ _id: orderId })) return { kind: 'ordered' };
  return (await orders.buyerExists(userId)) ? { kind: 'nothing-left' } : { kind: 'buyer-gone' };
}

/**
 * Completes every order left pending longer than its lease, whoever's it is (the shoppers' next
 * requests would too, but a shopper may not come back). Returns how many were completed.
 */
export async function completeInterruptedOrders(
  steps: Omit<CompletionSteps, 'crash'>,
  { now, leaseMs }: { now: number; leaseMs: number },
): Promise<number> {
  let completed = 0;
  for (const user of await steps.orders.withPendingOrders()) {
    for (const pending of user.pendingOrders ?? []) {
      if (!leaseIsOver(pending, now, leaseMs)) continue;
      const completion = await completeOrder({ ...steps, crash: crashHook(undefined) }, user, pending);
      if (completion.kind === 'ordered') completed++;
    }
  }
  return completed;
}
