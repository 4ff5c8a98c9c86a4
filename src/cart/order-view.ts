import { centsOf } from '../http/money';
import { orderStatusOf, type IOrderItem, type OrderEvent, type OrderRecord, type OrderStatus } from './order.model';
import { invoiceNumberOf, orderLabel } from './order-number';
import { addressLines } from './shipping';

/** What each status is called on pages, in mail and on invoices. */
export const STATUS_NAMES: Readonly<Record<OrderStatus, string>> = {
  placed: 'Placed',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
};

/** One line of an order as bought: the title and price of the day, and where it is. */
export interface OrderLine {
  title: string;
  quantity: number;
  unitCents: number;
  lineCents: number;
  /** Where this line is: waiting to be sent, sent, or delivered. */
  state: 'waiting' | 'shipped' | 'delivered';
}

/** An order as pages show it. */
export interface OrderView {
  /** The id, for links (the invoice's address) and forms; never shown. */
  id: string;
  /** What the shopper reads: the order number. */
  number: string;
  invoiceNumber: string;
  createdAt: Date;
  lines: OrderLine[];
  totalCents: number;
  /** The shipping address, a line each; empty for orders from before checkout asked for one. */
  shipTo: string[];
  status: OrderStatus;
  statusName: string;
  /** Every status the order had, oldest first (older orders: their placing only). */
  history: Array<OrderEvent & { name: string }>;
  /** Whether its buyer may still cancel it: placed, and nothing of it sent yet. */
  cancellable: boolean;
}

export function lineState(item: Pick<IOrderItem, 'shippedAt' | 'deliveredAt'>): OrderLine['state'] {
  if (item.deliveredAt) return 'delivered';
  return item.shippedAt ? 'shipped' : 'waiting';
}

/** Whether an order may still be cancelled: placed, and no line of it sent. */
export function isCancellable(order: Pick<OrderRecord, 'status' | 'items'>): boolean {
  return orderStatusOf(order) === 'placed' && order.items.every((item) => !item.shippedAt);
}

/** The order as pages show it; `items`: the lines to show (a seller sees only theirs). */
export function orderView(order: OrderRecord, items: readonly IOrderItem[] = order.items): OrderView {
  const lines = items.map((item) => ({
    title: item.title,
    quantity: item.quantity,
    unitCents: centsOf(item.price),
    lineCents: centsOf(item.price) * item.quantity,
    state: lineState(item),
  }));
  const number = orderLabel(order);
  const status = orderStatusOf(order);
  // Orders from before statuses began without a history: their placing is their creation.
  const recorded = order.history ?? [];
  const history =
    recorded[0]?.status === 'placed' ? recorded : [{ status: 'placed' as const, at: order.createdAt }, ...recorded];
  return {
    id: order._id.toHexString(),
    number,
    invoiceNumber: invoiceNumberOf(number),
    createdAt: order.createdAt,
    lines,
    totalCents: lines.reduce((sum, line) => sum + line.lineCents, 0),
    shipTo: order.shippingAddress ? addressLines(order.shippingAddress) : [],
    status,
    statusName: STATUS_NAMES[status],
    history: history.map((event) => ({ ...event, name: STATUS_NAMES[event.status] })),
    cancellable: isCancellable(order),
  };
}
