import type { Types } from 'mongoose';
import { pageCountFor } from '../http/pagination';
import { Order, orderStatusOf, type IOrderItem, type OrderRecord } from './order.model';
import { isCancellable, orderView, type OrderView } from './order-view';
import type { LinesOf } from './order-shipping';

/** Orders per page of GET /admin/orders. */
export const SELLER_ORDERS_PER_PAGE = 10;

/** An order as its seller (or an admin) sees it: their lines only, and what they may do with it. */
export interface SellerOrderView extends OrderView {
  /** Some of the viewer's lines wait to be sent. */
  canShip: boolean;
  /** Some of the viewer's lines are sent and not yet delivered. */
  canDeliver: boolean;
  /** An admin may cancel it: placed, nothing sent. */
  canCancel: boolean;
}

export interface SellerOrdersPage {
  orders: SellerOrderView[];
  pageCount: number;
}

/**
 * The orders that hold a seller's products, newest first, with the seller's lines only (an admin:
 * every order, every line), and the units sold of a seller's products. Reads only: shipping and
 * delivering are order-shipping.ts's, cancelling order-cancellation.ts's.
 */
export class SellerOrders {
  async page(viewer: LinesOf, page: number): Promise<SellerOrdersPage> {
    const filter = 'sellerId' in viewer ? { 'items.sellerId': viewer.sellerId } : {};
    const pageCount = pageCountFor(await Order.countDocuments(filter), SELLER_ORDERS_PER_PAGE);
    if (page > pageCount) return { orders: [], pageCount };
    const orders = await Order.find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .skip((page - 1) * SELLER_ORDERS_PER_PAGE)
      .limit(SELLER_ORDERS_PER_PAGE)
      .lean<OrderRecord[]>();
    return { orders: orders.map((order) => sellerOrderView(order, viewer)), pageCount };
  }

  /** Units sold of each product (orders not cancelled), by product id; a product never sold is absent. */
  async unitsSold(productIds: readonly Types.ObjectId[]): Promise<Map<string, number>> {
    if (productIds.length === 0) return new Map();
    const sold = await Order.aggregate<{ _id: Types.ObjectId; units: number }>([
      { $match: { 'items.productId': { $in: productIds }, status: { $ne: 'cancelled' } } },
      { $unwind: '$items' },
      { $match: { 'items.productId': { $in: productIds } } },
      { $group: { _id: '$items.productId', units: { $sum: '$items.quantity' } } },
    ]);
    return new Map(sold.map(({ _id, units }) => [_id.toHexString(), units]));
  }
}

function sellerOrderView(order: OrderRecord, viewer: LinesOf): SellerOrderView {
  const mine = (item: IOrderItem) => !('sellerId' in viewer) || item.sellerId?.equals(viewer.sellerId) === true;
  const lines = order.items.filter(mine);
  const status = orderStatusOf(order);
  return {
    ...orderView(order, lines),
    canShip: status === 'placed' && lines.some((item) => !item.shippedAt),
    canDeliver: status !== 'cancelled' && lines.some((item) => item.shippedAt && !item.deliveredAt),
    canCancel: !('sellerId' in viewer) && isCancellable(order),
  };
}
