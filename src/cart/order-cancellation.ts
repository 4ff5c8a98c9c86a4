import type { Types } from 'mongoose';
import type { ProductStock } from '../catalog/stock';
import type { Clock } from '../platform/clock';
import { crashHook, type CrashHook } from '../platform/crash-points';
import { Order, PLACED, type OrderRecord } from './order.model';
import { type OrdersToSend, sellersOf } from './orders-to-send';

/** Who cancels: the buyer (only their own orders), or an admin (any order). */
export type Canceller = { buyerId: Types.ObjectId } | { admin: true };

/**
 * Cancelling a placed order, nothing of it sent yet, and returning its units to stock, in steps
 * that each write one document (no transaction), so that a crash between any two is finished later:
 *
 *  1. the order: `status: cancelled` with its time in the history, and `restockPending: true`, in
 *     one update that matches only a placed order none of whose lines is shipped (a shipping
 *     racing it gets either the order or nothing);
 *  2. each line's units back to its product, each with a restock marker of the order (stock.ts),
 *     so that a repeated run adds nothing twice;
 *  3. the order leaves its sellers' lists of orders to send;
 *  4. `restockPending` goes.
 *
 * A crash after 1 leaves `restockPending`: the housekeeping repeats 2 to 4 for it once the
 * cancellation is older than a lease. The restock markers stay on the products long after (the
 * housekeeping removes them), so that no run of 2 that began before 4 can count twice.
 */
export class OrderCancellation {
  private readonly crash: CrashHook;

  constructor(
    private readonly options: {
      stock: ProductStock;
      sellers: OrdersToSend;
      now: Clock;
      crash?: CrashHook;
    },
  ) {
    this.crash = options.crash ?? crashHook(undefined);
  }

  /** Cancels the order; undefined, and nothing changed, when it is not one `by` may cancel now. */
  async cancel(orderId: Types.ObjectId, by: Canceller): Promise<OrderRecord | undefined> {
    const at = new Date(this.options.now());
    const whose = 'buyerId' in by ? { 'user.userId': by.buyerId } : {};
    const cancelled = await Order.findOneAndUpdate(
      { _id: orderId, ...whose, ...PLACED, 'items.shippedAt': { $exists: false } },
      { $set: { status: 'cancelled', restockPending: true }, $push: { history: { status: 'cancelled', at } } },
      { returnDocument: 'after' },
    ).lean<OrderRecord>();
    if (!cancelled) return undefined;
    this.crash('after-cancel');
    await this.restock(cancelled);
    return cancelled;
  }

  /** Steps 2 to 4: may be repeated. */
  async restock(order: OrderRecord): Promise<void> {
    for (const item of order.items) await this.options.stock.restock(item.productId, item.quantity, order._id);
    await this.options.sellers.remove(sellersOf(order.items), order._id);
    await Order.updateOne({ _id: order._id, restockPending: true }, { $unset: { restockPending: 1 } });
  }

  /** The cancellations a crash interrupted, older than `leaseMs` (younger ones are their request's): finished. */
  async finishInterrupted({ now, leaseMs }: { now: number; leaseMs: number }): Promise<number> {
    let finished = 0;
    for (const order of await Order.find({ restockPending: true }).lean<OrderRecord[]>()) {
      const cancelledAt = [...(order.history ?? [])].reverse().find((event) => event.status === 'cancelled')?.at;
      if (cancelledAt && cancelledAt.getTime() + leaseMs > now) continue;
      await this.restock(order);
      finished++;
    }
    return finished;
  }

  /** Whether a restock marker may go: its order's restock is done (or the order is gone). */
  async restockDone(orderId: Types.ObjectId): Promise<boolean> {
    return !(await Order.exists({ _id: orderId, restockPending: true }));
  }
}
