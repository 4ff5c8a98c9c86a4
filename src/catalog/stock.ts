import type { Types } from 'mongoose';
import type { Clock } from '../platform/clock';
import { systemClock } from '../platform/clock';
import { Product, type RestockMarker, type StockMarker } from './product.model';

/** Attempts at taking one line while its product's stock keeps changing under us. */
const TAKE_ATTEMPTS = 3;

/** What became of one line's units when an order being placed asked for them. */
export type Taking =
  /** This call took them: the product's stock went down by the quantity. */
  | { kind: 'taken' }
  /** They were already taken for this order (another run of the same order, before a crash). */
  | { kind: 'held' }
  /** The product is not tracked (any more): nothing to take. */
  | { kind: 'untracked' }
  /** The product no longer exists. */
  | { kind: 'gone' }
  /** Fewer units than the line asks for: `available` of them. */
  | { kind: 'short'; available: number };

/** A product with markers left, as the housekeeping reads it. */
export interface MarkedProduct {
  _id: Types.ObjectId;
  stockTakenBy?: StockMarker[];
  restockedFor?: RestockMarker[];
}

/**
 * The products' units: the catalog owns the products, so every write of `stock` goes through here,
 * and the cart (which places and cancels orders) calls it. Each write is one conditional update of
 * one product that also records which order it was for, so that repeating it, after a crash or by a
 * second run of the same order, changes nothing (docs/reliability.md, "Stock"):
 *
 *  - taking: `stock >= quantity` and no marker of the order → stock down, marker `{order, quantity, at}` in;
 *  - giving back (the order could not be placed): the marker there → stock up by its quantity, marker out;
 *  - releasing (the order is placed): the marker out, the units stay in the order;
 *  - restocking (a cancelled order): no restock marker of the order → stock up, restock marker in.
 *
 * A product that is not tracked (no `stock`) is never given a number here: `$inc` would create one.
 */
export class ProductStock {
  constructor(private readonly now: Clock = systemClock) {}

  async take(productId: Types.ObjectId, quantity: number, orderId: Types.ObjectId): Promise<Taking> {
    for (let attempt = 1; ; attempt++) {
      const taken = await Product.updateOne(
        { _id: productId, stock: { $gte: quantity }, 'stockTakenBy.order': { $ne: orderId } },
        { $inc: { stock: -quantity }, $push: { stockTakenBy: { order: orderId, quantity, at: new Date(this.now()) } } },
      );
      if (taken.matchedCount === 1) return { kind: 'taken' };
      // Why not: the answer is in the product as it is now.
      const product = await Product.findOne({ _id: productId }, { stock: 1, stockTakenBy: 1 }).lean<{
        stock?: number | null;
        stockTakenBy?: StockMarker[];
      }>();
      if (!product) return { kind: 'gone' };
      if (product.stockTakenBy?.some((marker) => marker.order.equals(orderId))) return { kind: 'held' };
      if (typeof product.stock !== 'number') return { kind: 'untracked' };
      // Enough now (the seller raised it, or another order gave units back meanwhile): try again, a few times.
      if (product.stock < quantity || attempt === TAKE_ATTEMPTS) {
        return { kind: 'short', available: Math.min(product.stock, quantity - 1) };
      }
    }
  }

  /**
   * The units the order took of this product come back (the order is not placed after all): only
   * while its marker is there, so at most once. Returns whether this call gave them back.
   */
  async giveBack(productId: Types.ObjectId, orderId: Types.ObjectId): Promise<boolean> {
    const product = await Product.findOne(
      { _id: productId, 'stockTakenBy.order': orderId },
      { stock: 1, stockTakenBy: 1 },
    ).lean<{ stock?: number | null; stockTakenBy?: StockMarker[] }>();
    const marker = product?.stockTakenBy?.find((candidate) => candidate.order.equals(orderId));
    if (!product || !marker) return false;
    // The exact marker in the filter: its quantity is what comes back, once.
    const exactly = { _id: productId, stockTakenBy: { $elemMatch: { order: orderId, quantity: marker.quantity } } };
    const pull = { $pull: { stockTakenBy: { order: orderId } } };
    const back = await Product.updateOne(
      { ...exactly, stock: { $gte: 0 } },
      { $inc: { stock: marker.quantity }, ...pull },
    );
    if (back.matchedCount === 1) return true;
    // No longer tracked: nothing to count, the marker goes.
    await Product.updateOne(exactly, pull);
    return false;
  }

  /** The order is placed: its marker goes, its units stay sold. */
  async release(productId: Types.ObjectId, orderId: Types.ObjectId): Promise<void> {
    await Product.updateOne(
      { _id: productId, 'stockTakenBy.order': orderId },
      { $pull: { stockTakenBy: { order: orderId } } },
    );
  }

  /**
   * A cancelled order's units come back, once: the restock marker stays on the product (the
   * housekeeping removes it long after), so a second run of the same cancellation adds nothing.
   */
  async restock(productId: Types.ObjectId, quantity: number, orderId: Types.ObjectId): Promise<void> {
    const marker = { order: orderId, at: new Date(this.now()) };
    const notYet = { _id: productId, 'restockedFor.order': { $ne: orderId } };
    const back = await Product.updateOne(
      { ...notYet, stock: { $gte: 0 } },
      { $inc: { stock: quantity }, $push: { restockedFor: marker } },
    );
    // Not tracked: nothing to count; the marker all the same, should the seller start counting.
    if (back.matchedCount === 0) await Product.updateOne(notYet, { $push: { restockedFor: marker } });
  }

  /** A restock marker no run can need any more goes. */
  async forgetRestock(productId: Types.ObjectId, orderId: Types.ObjectId): Promise<void> {
    await Product.updateOne(
      { _id: productId, 'restockedFor.order': orderId },
      { $pull: { restockedFor: { order: orderId } } },
    );
  }

  /** Products holding markers (served by the sparse indexes): the housekeeping's work list. */
  async markedProducts(): Promise<MarkedProduct[]> {
    return Product.find(
      { $or: [{ 'stockTakenBy.order': { $exists: true } }, { 'restockedFor.order': { $exists: true } }] },
      { stockTakenBy: 1, restockedFor: 1 },
    ).lean<MarkedProduct[]>();
  }
}
