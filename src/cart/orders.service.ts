import type { Types } from 'mongoose';
import type { UserModel } from '../accounts/user.schema';
import { ProductStock } from '../catalog/stock';
import { systemClock, type Clock } from '../platform/clock';
import { crashHook, type CrashHook } from '../platform/crash-points';
import { Order, type OrderRecord } from './order.model';
import { OrderCancellation, type Canceller } from './order-cancellation';
import type { OrderMail } from './order-mail';
import { OrderShipping, type LinesMoved, type LinesOf } from './order-shipping';
import { orderView, type OrderView } from './order-view';
import { OrdersToSend } from './orders-to-send';
import { SellerOrders, type SellerOrdersPage } from './seller-orders';

export type { LinesOf } from './order-shipping';
export type { SellerOrderView, SellerOrdersPage } from './seller-orders';

export interface OrdersOptions {
  /** The User model: the sellers' lists of orders to send are the cart's part of it. */
  users: UserModel;
  /** The products' units (the catalog's); by default one of its own. */
  stock?: ProductStock;
  now?: Clock;
  crash?: CrashHook;
  /** The buyer's and the sellers' mail; none: no mail. */
  mail?: OrderMail;
}

/** What an action on an order came to: done (with the order as it is now), or why not. */
export type OrderAction =
  | { kind: 'done'; order: OrderView }
  /** The order holds nothing of the viewer's (or does not exist): as unknown as a missing one. */
  | { kind: 'not-found' }
  /** It is the viewer's, but not in a state for this action (shipped already, cancelled...). */
  | { kind: 'refused'; order: OrderView };

/**
 * An order's life after it is placed: the buyer's or an admin's cancellation (its units back in
 * stock), the sellers' shipping and delivery of their lines, the sellers' page of their orders and
 * their lists of orders to send, and the mail each change sends. The writes and their rules are in
 * order-cancellation.ts, order-shipping.ts and orders-to-send.ts; this only puts them together.
 */
export class Orders {
  private readonly sellers: OrdersToSend;
  private readonly cancellation: OrderCancellation;
  private readonly shipping: OrderShipping;
  private readonly listing = new SellerOrders();
  private readonly mail?: OrderMail;

  constructor({
    users,
    now = systemClock,
    stock = new ProductStock(now),
    crash = crashHook(undefined),
    mail,
  }: OrdersOptions) {
    this.sellers = new OrdersToSend(users);
    this.cancellation = new OrderCancellation({ stock, sellers: this.sellers, now, crash });
    this.shipping = new OrderShipping({ sellers: this.sellers, now });
    this.mail = mail;
  }

  /** Cancels a placed order nothing of which is sent yet: the buyer their own, an admin any. */
  async cancel(orderId: Types.ObjectId, by: Canceller): Promise<OrderAction> {
    const cancelled = await this.cancellation.cancel(orderId, by);
    if (cancelled) {
      this.mail?.statusChanged(cancelled);
      return { kind: 'done', order: orderView(cancelled) };
    }
    const order = await Order.findOne({
      _id: orderId,
      ...('buyerId' in by ? { 'user.userId': by.buyerId } : {}),
    }).lean<OrderRecord>();
    return order ? { kind: 'refused', order: orderView(order) } : { kind: 'not-found' };
  }

  /** Marks the viewer's lines shipped; the order is shipped once every line is. */
  ship(orderId: Types.ObjectId, lines: LinesOf): Promise<OrderAction> {
    return this.act(orderId, lines, () => this.shipping.ship(orderId, lines));
  }

  /** Marks the viewer's shipped lines delivered; the order is delivered once every line is. */
  deliver(orderId: Types.ObjectId, lines: LinesOf): Promise<OrderAction> {
    return this.act(orderId, lines, () => this.shipping.deliver(orderId, lines));
  }

  /** A page of the orders holding the viewer's products (an admin: all orders), newest first. */
  page(viewer: LinesOf, page: number): Promise<SellerOrdersPage> {
    return this.listing.page(viewer, page);
  }

  /** Units sold of each product, by id (the sellers' dashboard). */
  unitsSold(productIds: readonly Types.ObjectId[]): Promise<Map<string, number>> {
    return this.listing.unitsSold(productIds);
  }

  /** The seller's list of orders to send, put right from the orders; returns its count. */
  recount(seller: { _id: Types.ObjectId; ordersToSend?: Types.ObjectId[] }): Promise<number> {
    return this.sellers.recount(seller);
  }

  private async act(
    orderId: Types.ObjectId,
    lines: LinesOf,
    move: () => Promise<LinesMoved | undefined>,
  ): Promise<OrderAction> {
    const moved = await move();
    if (moved) {
      if (moved.statusChanged) this.mail?.statusChanged(moved.order);
      return { kind: 'done', order: orderView(moved.order) };
    }
    const whose = 'sellerId' in lines ? { 'items.sellerId': lines.sellerId } : {};
    const order = await Order.findOne({ _id: orderId, ...whose }).lean<OrderRecord>();
    return order ? { kind: 'refused', order: orderView(order) } : { kind: 'not-found' };
  }
}
