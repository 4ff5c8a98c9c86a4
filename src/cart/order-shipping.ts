import type { Types } from 'mongoose';
import type { Clock } from '../platform/clock';
import { Order, type OrderRecord, type OrderStatus } from './order.model';
import { type OrdersToSend, sellersOf } from './orders-to-send';

/** Whose lines an action covers: one seller's, or every line (an admin). */
export type LinesOf = { sellerId: Types.ObjectId } | { admin: true };

export interface LinesMoved {
  order: OrderRecord;
  /** The order's status changed with these lines (every line is now shipped, or delivered). */
  statusChanged: boolean;
}

type Step = 'shipped' | 'delivered';

/** An expression that is true for a line `$$item` whose `field` is not set. */
const unset = (field: string) => ({ $eq: [{ $ifNull: [`$$item.${field}`, null] }, null] });

/**
 * Shipping and delivering a seller's lines of an order. Each is ONE update of the order (an update
 * pipeline), so that the lines and the order's status move together: the lines get their time,
 * and when every line of the order has it, the status moves on and the history records it. A
 * cancellation racing it gets either the order (then this matches nothing) or nothing.
 *
 *  - ship: the seller's lines not yet shipped, of a placed order;
 *  - deliver: the seller's shipped lines not yet delivered, of an order not cancelled.
 *
 * Undefined, and nothing changed, when the order has no such line of the seller's: another
 * seller's order is as unknown to them as a missing one.
 */
export class OrderShipping {
  constructor(private readonly options: { sellers: OrdersToSend; now: Clock }) {}

  async ship(orderId: Types.ObjectId, lines: LinesOf): Promise<LinesMoved | undefined> {
    const moved = await this.move(orderId, lines, 'shipped');
    // The seller has nothing more to send in it (an admin: nobody has).
    if (moved) {
      const sent = 'sellerId' in lines ? [lines.sellerId] : sellersOf(moved.order.items);
      await this.options.sellers.remove(sent, orderId);
    }
    return moved;
  }

  deliver(orderId: Types.ObjectId, lines: LinesOf): Promise<LinesMoved | undefined> {
    return this.move(orderId, lines, 'delivered');
  }

  private async move(orderId: Types.ObjectId, lines: LinesOf, step: Step): Promise<LinesMoved | undefined> {
    const at = new Date(this.options.now());
    const field = step === 'shipped' ? 'shippedAt' : 'deliveredAt';
    const mine = 'sellerId' in lines ? { sellerId: lines.sellerId } : {};
    const from: OrderStatus[] = step === 'shipped' ? ['placed'] : ['placed', 'shipped'];
    // The lines this step may move: the seller's, and for delivery only those already shipped.
    const movable =
      step === 'shipped' ? { ...mine, shippedAt: null } : { ...mine, shippedAt: { $ne: null }, deliveredAt: null };
    const isMine = 'sellerId' in lines ? { $eq: ['$$item.sellerId', lines.sellerId] } : true;
    const lineMoves = {
      $and: [isMine, unset(field), ...(step === 'delivered' ? [{ $not: [unset('shippedAt')] }] : [])],
    };
    const allMoved = { $allElementsTrue: [{ $map: { input: '$items', as: 'item', in: { $not: [unset(field)] } } }] };
    const moved = await Order.findOneAndUpdate(
      { _id: orderId, status: { $in: [...from, null] }, items: { $elemMatch: movable } },
      [
        {
          $set: {
            items: {
              $map: {
                input: '$items',
                as: 'item',
                in: { $cond: [lineMoves, { $mergeObjects: ['$$item', { [field]: at }] }, '$$item'] },
              },
            },
          },
        },
        {
          $set: {
            status: { $cond: [allMoved, step, { $ifNull: ['$status', 'placed'] }] },
            history: {
              $cond: [
                allMoved,
                { $concatArrays: [{ $ifNull: ['$history', []] }, [{ status: step, at }]] },
                { $ifNull: ['$history', []] },
              ],
            },
          },
        },
      ],
      { returnDocument: 'after', updatePipeline: true },
    ).lean<OrderRecord>();
    if (!moved) return undefined;
    const last = moved.history?.at(-1);
    return { order: moved, statusChanged: last?.status === step && last.at.getTime() === at.getTime() };
  }
}
