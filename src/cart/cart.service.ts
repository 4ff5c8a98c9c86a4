import { Types } from 'mongoose';
import { AccountGoneError } from '../accounts/account-gone';
import type { UserDocument, UserModel } from '../accounts/user.schema';
import type { Catalog } from '../catalog/catalog.service';
import { Product, isTracked } from '../catalog/product.model';
import { ProductStock } from '../catalog/stock';
import { SHOP_ADDRESS, SHOP_NAME } from '../http/view-helpers';
import { DEFAULT_PENDING_ORDER_LEASE_MS } from '../platform/config';
import { systemClock, type Clock } from '../platform/clock';
import { crashHook, type CrashHook } from '../platform/crash-points';
import { MAX_LINE_QUANTITY, type ShippingAddress } from './cart.model';
import { Order, type OrderRecord } from './order.model';
import { invoiceNumberOf, orderLabel } from './order-number';
import { invoiceFilename, invoicePdf, type Seller } from './invoice-pdf';
import { cartLines, type CartLine } from './cart-lines';
import { completeOrder, type CompletionSteps } from './order-completion';
import { OrdersToSend } from './orders-to-send';
import { orderView, STATUS_NAMES, type OrderView } from './order-view';
import { orderStatusOf } from './order.model';
import { PendingOrders, leaseIsOver } from './pending-orders';
import { addressLines, isDeliveryCountry } from './shipping';
import type { ShortLine } from './stock-taking';

export type { CartLine } from './cart-lines';
export type { OrderLine, OrderView } from './order-view';
export type { ShortLine } from './stock-taking';

/** The seller on invoices: the shop's name and the address its footer shows, a line per part. */
const SELLER: Seller = { name: SHOP_NAME, addressLines: SHOP_ADDRESS.split(/,\s*/) };

export interface CartView {
  lines: CartLine[];
  /** Units in the cart (what the navigation counts). */
  units: number;
  subtotalCents: number;
  /** What the shopper pays on delivery: the subtotal, as delivery costs nothing. */
  totalCents: number;
}

export type AddOutcome =
  | { kind: 'added'; title: string }
  /** The line already holds the most one order may have: nothing changed. */
  | { kind: 'full'; title: string }
  /** The line already holds every unit in stock (`available`, 0: out of stock): nothing changed. */
  | { kind: 'not-enough'; title: string; available: number }
  | { kind: 'unknown-product' };

export type QuantityOutcome =
  | { kind: 'set'; title: string }
  /** The product is not in this shopper's cart: nothing changed. */
  | { kind: 'not-in-cart' }
  /** Fewer units in stock than asked for: nothing changed. */
  | { kind: 'not-enough'; title: string; available: number };

export type OrderOutcome =
  | { kind: 'placed'; order: { id: string } }
  /** Some lines have fewer units than asked for: no order, the lines are back in the cart. */
  | { kind: 'short'; lines: ShortLine[] }
  /** Nothing in the cart (any more): no order. */
  | { kind: 'empty' };

export interface Invoice {
  filename: string;
  pdf: PDFKit.PDFDocument;
}

export interface CartOptions {
  /** The User model (src/user.model.ts): the cart is the cart's part of the User document. */
  users: UserModel;
  /** Says whether a product exists and names it (from its short cache); carts and orders read prices afresh. */
  catalog: Catalog;
  /** An order's date. */
  now?: Clock;
  /** Called between the steps of an order: tests end the process there (platform/crash-points.ts). */
  crash?: CrashHook;
  /** How long an order being placed is left to its own request (config's pendingOrderLeaseMs). */
  pendingOrderLeaseMs?: number;
  /** The products' units (the catalog's); by default one of the cart's own. */
  stock?: ProductStock;
  /** Told of each order placed (the sellers' mail, order-mail.ts). */
  onOrdered?: CompletionSteps['onOrdered'];
}

/** Units in a cart: the sum of its quantities. */
export function unitsIn(items: ReadonlyArray<{ quantity: number }>): number {
  return items.reduce((sum, item) => sum + item.quantity, 0);
}

/** The address the User keeps, when it is complete and still one the shop delivers to. */
export function savedAddress(user: UserDocument): ShippingAddress | undefined {
  const kept = user.shippingAddress;
  if (!kept) return undefined;
  const { name, street, postcode, city, country } = kept;
  const complete = [name, street, postcode, city, country].every((value) => typeof value === 'string' && value !== '');
  return complete && isDeliveryCountry(country) ? { name, street, postcode, city, country } : undefined;
}

/**
 * A shopper's cart and orders. The cart lives in the User document and changes only through its
 * atomic updates (cart.plugin.ts); ordering claims it in one step, so two parallel orders can't
 * both get it. Orders keep what was bought as it was then, and where it went.
 */
export class Cart {
  private readonly users: UserModel;
  private readonly pendingOrders: PendingOrders;
  private readonly catalog: Catalog;
  private readonly now: Clock;
  private readonly leaseMs: number;
  private readonly steps: CompletionSteps;

  constructor({
    users,
    catalog,
    now = systemClock,
    crash = crashHook(undefined),
    pendingOrderLeaseMs = DEFAULT_PENDING_ORDER_LEASE_MS,
    stock = new ProductStock(now),
    onOrdered,
  }: CartOptions) {
    this.users = users;
    this.pendingOrders = new PendingOrders(users);
    this.catalog = catalog;
    this.now = now;
    this.leaseMs = pendingOrderLeaseMs;
    this.steps = { orders: this.pendingOrders, stock, sellers: new OrdersToSend(users), crash, onOrdered };
  }

  /**
   * Adds one unit, up to the line's limit: MAX_LINE_QUANTITY, or the units in stock when fewer (read
   * afresh: the cache may be a second behind; carts reserve nothing, the order takes the units).
   * The catalog's cache only turns away ids it cannot find in the database either; the database
   * decides, after the write: a product deleted or hidden before that check is taken out of the
   * cart again and not found. A deletion after it pulls the line itself (the catalog deletes, then
   * calls the cart's hook, hooks.ts).
   */
  async add(user: UserDocument, productId: Types.ObjectId): Promise<AddOutcome> {
    const product = await this.catalog.product(productId);
    const units = product && (await unitsOf(productId));
    if (!product || units === undefined) return { kind: 'unknown-product' };
    const limit = units === null ? MAX_LINE_QUANTITY : Math.min(units, MAX_LINE_QUANTITY);
    if (!(await user.addToCart(productId, 1, limit))) {
      return limit < MAX_LINE_QUANTITY
        ? { kind: 'not-enough', title: product.title, available: limit }
        : { kind: 'full', title: product.title };
    }
    if (!(await Product.exists({ _id: productId, hidden: { $ne: true } }))) {
      await user.removeFromCart(productId);
      return { kind: 'unknown-product' };
    }
    return { kind: 'added', title: product.title };
  }

  /**
   * Sets a line's quantity (0 removes it) in one atomic update, within the units in stock (read
   * afresh). Nothing changes when the product is not in this shopper's cart, or has fewer units.
   */
  async setQuantity(user: UserDocument, productId: Types.ObjectId, quantity: number): Promise<QuantityOutcome> {
    if (quantity > 0) {
      const units = await unitsOf(productId);
      if (typeof units === 'number' && quantity > units) {
        return { kind: 'not-enough', title: await this.titleOf(productId), available: units };
      }
    }
    if (!(await user.setCartQuantity(productId, quantity))) return { kind: 'not-in-cart' };
    return { kind: 'set', title: await this.titleOf(productId) };
  }

  /** Removes a line; the product's title, or undefined when it was not in the cart. */
  async remove(user: UserDocument, productId: Types.ObjectId): Promise<string | undefined> {
    const outcome = await this.setQuantity(user, productId, 0);
    return outcome.kind === 'set' ? outcome.title : undefined;
  }

  /**
   * The cart with today's prices and stock, each line's total and the cart's, in cents. Lines whose
   * product is gone (or hidden) are left out, and taken out of the User's cart.
   */
  async view(user: UserDocument): Promise<CartView> {
    const { lines, gone } = await cartLines(user.cart.items);
    if (gone.length > 0) {
      await this.users.updateOne({ _id: user._id }, { $pull: { 'cart.items': { productId: { $in: gone } } } });
    }
    const subtotalCents = lines.reduce((sum, line) => sum + line.lineCents, 0);
    return { lines, units: unitsIn(lines), subtotalCents, totalCents: subtotalCents };
  }

  /**
   * Turns the shopper's cart into an order shipped to `address`, which is kept on the User for next
   * time; without one, to the address kept, if any (the contract's bare POST /create-order).
   *
   * Steps that each write a single document, so that a crash between any two (SIGKILL, no
   * transaction on a standalone MongoDB) loses and duplicates nothing (docs/reliability.md):
   *  1. claim: one update empties the cart and records its lines as a pending order with a new id;
   *  2. each tracked line's units are taken, one conditional update per product marked with the
   *     order; a short line gives everything back and the lines return to the cart;
   *  3. the order is inserted with that id (and a number kept on the record): doing it twice is a
   *     duplicate key, not a second order (order-completion.ts);
   *  4. the pending record is removed, then the products' markers.
   * An order interrupted after 1 is completed, once its lease is over, by the shopper's next
   * request or a shop process's housekeeping. The account deleted meanwhile (another device):
   * nothing is ordered, AccountGoneError.
   */
  async placeOrder(user: UserDocument, address: ShippingAddress | undefined): Promise<OrderOutcome> {
    const orderId = new Types.ObjectId();
    const pending = await user.claimCart(orderId, address ?? savedAddress(user), new Date(this.now()));
    if (!pending) {
      if (!(await this.pendingOrders.buyerExists(user._id))) throw new AccountGoneError();
      return { kind: 'empty' };
    }
    this.steps.crash('after-claim');
    const completion = await completeOrder(this.steps, { _id: user._id, email: user.email }, pending);
    if (completion.kind === 'buyer-gone') throw new AccountGoneError();
    if (completion.kind === 'short') return completion;
    return completion.kind === 'ordered' ? { kind: 'placed', order: { id: orderId.toHexString() } } : { kind: 'empty' };
  }

  /**
   * Completes the shopper's orders that a crash interrupted (steps 2 and 3 above), from the User
   * loadUser already read: with none pending, no database command at all. An order whose lease is
   * not over is left to the request placing it (another tab, another device of the shopper).
   */
  async completePendingOrders(user: UserDocument): Promise<number> {
    let completed = 0;
    for (const pending of user.pendingOrders ?? []) {
      if (!leaseIsOver(pending, this.now(), this.leaseMs)) continue;
      const completion = await completeOrder(this.steps, { _id: user._id, email: user.email }, pending);
      if (completion.kind === 'ordered') completed++;
    }
    return completed;
  }

  /** A buyer who leaves: their orders stay in the shop's books, without their email. */
  async forgetBuyer(userId: Types.ObjectId): Promise<void> {
    await Order.updateMany({ 'user.userId': userId }, { $unset: { 'user.email': '' } });
  }

  /** The shopper's orders, newest first. */
  async orders(user: UserDocument): Promise<OrderView[]> {
    const orders = await Order.find({ 'user.userId': user._id }).sort({ createdAt: -1 }).lean<OrderRecord[]>();
    return orders.map((order) => orderView(order));
  }

  /** One of the shopper's own orders; any other order id, even a real one, is undefined. */
  async order(user: UserDocument, orderId: Types.ObjectId): Promise<OrderView | undefined> {
    const order = await this.ownOrder(user, orderId);
    return order ? orderView(order) : undefined;
  }

  /** The invoice of one of the shopper's own orders; any other order id, even a real one, is undefined. */
  async invoice(user: UserDocument, orderId: Types.ObjectId): Promise<Invoice | undefined> {
    const order = await this.ownOrder(user, orderId);
    if (!order) return undefined;
    const number = orderLabel(order);
    const pdf = invoicePdf({
      invoiceNumber: invoiceNumberOf(number),
      orderNumber: number,
      date: order.createdAt,
      seller: SELLER,
      customerEmail: order.user.email ?? '(account deleted)',
      status: STATUS_NAMES[orderStatusOf(order)],
      shipTo: order.shippingAddress ? addressLines(order.shippingAddress) : [],
      items: order.items,
    });
    return { filename: invoiceFilename(number), pdf };
  }

  private ownOrder(user: UserDocument, orderId: Types.ObjectId): Promise<OrderRecord | null> {
    return Order.findOne({ _id: orderId, 'user.userId': user._id }).lean<OrderRecord>();
  }

  private async titleOf(productId: Types.ObjectId): Promise<string> {
    return (await this.catalog.product(productId))?.title ?? 'The product';
  }
}

/**
 * The units a product has now, from the database: a number, null when not tracked, undefined when
 * the product is gone or hidden.
 */
async function unitsOf(productId: Types.ObjectId): Promise<number | null | undefined> {
  const product = await Product.findOne({ _id: productId, hidden: { $ne: true } }, { stock: 1 }).lean<{
    stock?: number | null;
  }>();
  if (!product) return undefined;
  return isTracked(product) ? product.stock : null;
}
