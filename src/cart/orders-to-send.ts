import type { Types } from 'mongoose';
import type { UserModel } from '../accounts/user.schema';
import { Order, PLACED } from './order.model';

/**
 * Each seller's placed orders that hold lines of theirs not yet shipped, kept on the seller's User
 * (`ordersToSend`, the cart's part of it) so that the navigation counts them from the User every
 * request loads anyway. A set of order ids rather than a counter: adding and removing an id may be
 * repeated after a crash and counts once. Placing an order adds it (before its insert); shipping a
 * seller's lines, or cancelling, removes it. What a crash between the order's write and this one
 * leaves astray is put right by `recount`, run when the seller opens GET /admin/orders.
 */
export class OrdersToSend {
  constructor(private readonly users: UserModel) {}

  async add(sellerIds: readonly Types.ObjectId[], orderId: Types.ObjectId): Promise<void> {
    if (sellerIds.length === 0) return;
    await this.users.updateMany({ _id: { $in: sellerIds } }, { $addToSet: { ordersToSend: orderId } });
  }

  async remove(sellerIds: readonly Types.ObjectId[], orderId: Types.ObjectId): Promise<void> {
    if (sellerIds.length === 0) return;
    await this.users.updateMany({ _id: { $in: sellerIds } }, { $pull: { ordersToSend: orderId } });
  }

  /**
   * The seller's set as the orders say it should be: ids of orders shipped or cancelled meanwhile
   * go, open ones missing come in. Two updates that each may race a placing or a shipping without
   * harm (the next recount mends what they cross); none when nothing differs. Returns the count.
   */
  async recount(seller: { _id: Types.ObjectId; ordersToSend?: Types.ObjectId[] }): Promise<number> {
    const open = (
      await Order.find(
        { items: { $elemMatch: { sellerId: seller._id, shippedAt: null } }, ...PLACED },
        { _id: 1 },
      ).lean<Array<{ _id: Types.ObjectId }>>()
    ).map((order) => order._id);
    const kept = seller.ordersToSend ?? [];
    const openIds = new Set(open.map((id) => id.toHexString()));
    const keptIds = new Set(kept.map((id) => id.toHexString()));
    const stale = kept.filter((id) => !openIds.has(id.toHexString()));
    const missing = open.filter((id) => !keptIds.has(id.toHexString()));
    if (stale.length > 0) {
      await this.users.updateOne({ _id: seller._id }, { $pull: { ordersToSend: { $in: stale } } });
    }
    if (missing.length > 0) {
      await this.users.updateOne({ _id: seller._id }, { $addToSet: { ordersToSend: { $each: missing } } });
    }
    return open.length;
  }
}

/** The distinct sellers of an order's items (older items without one are left out). */
export function sellersOf(items: ReadonlyArray<{ sellerId?: Types.ObjectId | null }>): Types.ObjectId[] {
  const seen = new Map<string, Types.ObjectId>();
  for (const { sellerId } of items) if (sellerId) seen.set(sellerId.toHexString(), sellerId);
  return [...seen.values()];
}
