import type { Types } from 'mongoose';
import type { IUser, UserModel } from '../accounts/user.schema';
import type { PendingOrder } from './cart.model';

/** A shopper with orders a crash interrupted, as the housekeeping reads them. */
export type BuyerWithPendingOrders = Pick<IUser, 'email' | 'pendingOrders'> & { _id: Types.ObjectId };

/**
 * The pending orders' steps after the claim (the User's `claimCart`, cart.plugin.ts), each one
 * update of the User document: the number kept, the record settled, or its lines given back.
 * order-completion.ts runs them in order; every one may be repeated after a crash.
 */
export class PendingOrders {
  constructor(private readonly users: UserModel) {}

  /**
   * Keeps `drawn` as the order's number, unless a parallel run kept one first: the number kept
   * either way, or undefined when the record is gone (another run settled it).
   */
  async keepNumber(userId: Types.ObjectId, orderId: Types.ObjectId, drawn: number): Promise<number | undefined> {
    const kept = await this.users.updateOne(
      { _id: userId, pendingOrders: { $elemMatch: { id: orderId, number: { $exists: false } } } },
      { $set: { 'pendingOrders.$.number': drawn } },
    );
    if (kept.matchedCount === 1) return drawn;
    const user = await this.users.findOne({ _id: userId }, { pendingOrders: 1 }).lean<Pick<IUser, 'pendingOrders'>>();
    return user?.pendingOrders?.find((record) => record.id.equals(orderId))?.number;
  }

  /**
   * The order is in the orders collection (or could not be, its products all gone): the record goes.
   * False when the User itself is gone (the account deleted meanwhile).
   */
  async settle(userId: Types.ObjectId, orderId: Types.ObjectId): Promise<boolean> {
    const result = await this.users.updateOne({ _id: userId }, { $pull: { pendingOrders: { id: orderId } } });
    return result.matchedCount === 1;
  }

  /**
   * An order that cannot be placed (a line short of stock, or its data refused, not a passing
   * outage) gives its lines back: in one update the pending record goes and each line is added to
   * the cart, to the line of the same product if the shopper has added it meanwhile (past
   * MAX_LINE_QUANTITY if need be: nothing is dropped). Only once: a record already gone matches
   * nothing. With `unnumbered`, only a record without a number yet (a numbered one has every unit
   * held). Returns whether this call gave them back.
   */
  async returnToCart(
    userId: Types.ObjectId,
    orderId: Types.ObjectId,
    { unnumbered = false }: { unnumbered?: boolean } = {},
  ): Promise<boolean> {
    // $arrayElemAt and $let rather than $first and $getField: MongoDB 4.2 runs them too.
    const items = {
      $let: {
        vars: {
          pending: {
            $arrayElemAt: [{ $filter: { input: '$pendingOrders', cond: { $eq: ['$$this.id', orderId] } } }, 0],
          },
        },
        in: '$$pending.items',
      },
    };
    const record = unnumbered
      ? { pendingOrders: { $elemMatch: { id: orderId, number: { $exists: false } } } }
      : { 'pendingOrders.id': orderId };
    const result = await this.users.updateOne(
      { _id: userId, ...record },
      [
        {
          $set: {
            'cart.items': {
              $reduce: {
                input: items,
                initialValue: { $ifNull: ['$cart.items', []] },
                in: {
                  $cond: [
                    { $in: ['$$this.productId', '$$value.productId'] },
                    {
                      $map: {
                        input: '$$value',
                        as: 'line',
                        in: {
                          $cond: [
                            { $eq: ['$$line.productId', '$$this.productId'] },
                            {
                              productId: '$$line.productId',
                              quantity: { $add: ['$$line.quantity', '$$this.quantity'] },
                            },
                            '$$line',
                          ],
                        },
                      },
                    },
                    { $concatArrays: ['$$value', [{ productId: '$$this.productId', quantity: '$$this.quantity' }]] },
                  ],
                },
              },
            },
            pendingOrders: { $filter: { input: '$pendingOrders', cond: { $ne: ['$$this.id', orderId] } } },
          },
        },
      ],
      { updatePipeline: true },
    );
    return result.matchedCount === 1;
  }

  /** Whether the pending record is still there (not settled, not given back, its User not gone). */
  async recordExists(userId: Types.ObjectId, orderId: Types.ObjectId): Promise<boolean> {
    return (await this.users.exists({ _id: userId, 'pendingOrders.id': orderId })) !== null;
  }

  /** Whether any User holds a pending record of this id (the housekeeping's look at a stock marker). */
  async anyRecord(orderId: Types.ObjectId): Promise<boolean> {
    return (await this.users.exists({ 'pendingOrders.id': orderId })) !== null;
  }

  /** Every shopper with an order a crash interrupted, for the housekeeping (served by the sparse index). */
  withPendingOrders(): Promise<BuyerWithPendingOrders[]> {
    return this.users
      .find({ 'pendingOrders.id': { $exists: true } }, { email: 1, pendingOrders: 1 })
      .lean<BuyerWithPendingOrders[]>();
  }

  /** Whether the buyer still has an account (it may be deleted from another device meanwhile). */
  async buyerExists(userId: Types.ObjectId): Promise<boolean> {
    return (await this.users.exists({ _id: userId })) !== null;
  }
}

/** Whether a pending order's lease is over at `now`: no request is placing it any more. */
export function leaseIsOver(pending: PendingOrder, now: number, leaseMs: number): boolean {
  return pending.at.getTime() + leaseMs <= now;
}
