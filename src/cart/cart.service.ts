import { Types } from 'mongoose';
import {
  User,
  returnPendingOrderToCart,
  settlePendingOrder,
  usersWithPendingOrders,
  type CartItem,
  type PendingOrder,
  type ShippingAddress,
  type UserDocument,
} from '../accounts/user.model';
import type { Catalog } from '../catalog/catalog.service';
import { Product, type ProductRecord } from '../catalog/product.model';
import { SHOP_ADDRESS, SHOP_NAME } from '../http/view-helpers';
import { systemClock, type Clock } from '../platform/clock';
import { crashHook, type CrashHook } from '../platform/crash-points';
import { isDatabaseUnavailable } from '../platform/database/unavailable';
import { Order, centsOf, type OrderRecord } from './order.model';
import { invoiceNumberOf, nextOrderNumber, orderLabel } from './order-number';
import { invoiceFilename, invoicePdf, type Seller } from './invoice-pdf';
import { addressLines, isDeliveryCountry } from './shipping';

/** The seller on invoices: the shop's name and the address its footer shows, a line per part. */
const SELLER: Seller = { name: SHOP_NAME, addressLines: SHOP_ADDRESS.split(/,\s*/) };

export interface CartLine {
  product: ProductRecord;
  quantity: number;
  /** Today's price of one unit, in cents. */
  unitCents: number;
  /** unitCents × quantity. */
  lineCents: number;
}

export interface CartView {
  lines: CartLine[];
  /** Units in the cart (what the navigation counts). */
  units: number;
  subtotalCents: number;
  /** What the shopper pays on delivery: the subtotal, as delivery costs nothing. */
  totalCents: number;
}

/** One line of an order as bought: the title and price of the day. */
export interface OrderLine {
  title: string;
  quantity: number;
  unitCents: number;
  lineCents: number;
}

/** An order as pages show it. */
export interface OrderView {
  /** The id, for links (the invoice's address); never shown. */
  id: string;
  /** What the shopper reads: the order number. */
  number: string;
  invoiceNumber: string;
  createdAt: Date;
  lines: OrderLine[];
  totalCents: number;
  /** The shipping address, a line each; empty for orders from before checkout asked for one. */
  shipTo: string[];
}

export type AddOutcome =
  | { kind: 'added'; title: string }
  /** The line already holds the most one order may have: nothing changed. */
  | { kind: 'full'; title: string }
  | { kind: 'unknown-product' };

export type OrderOutcome =
  | { kind: 'placed'; order: { id: string } }
  /** Nothing in the cart (any more): no order. */
  | { kind: 'empty' };

export interface Invoice {
  filename: string;
  pdf: PDFKit.PDFDocument;
}

export interface CartOptions {
  /** Says whether a product exists and names it (from its short cache); carts and orders read prices afresh. */
  catalog: Catalog;
  /** An order's date. */
  now?: Clock;
  /** Called between the steps of an order: tests end the process there (platform/crash-points.ts). */
  crash?: CrashHook;
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
 * atomic updates (user.model.ts); ordering claims it in one step, so two parallel orders can't both
 * get it. Orders keep what was bought as it was then, and where it went.
 */
export class Cart {
  private readonly catalog: Catalog;
  private readonly now: Clock;
  private readonly crash: CrashHook;

  constructor({ catalog, now = systemClock, crash = crashHook(undefined) }: CartOptions) {
    this.catalog = catalog;
    this.now = now;
    this.crash = crash;
  }

  /**
   * Adds one unit, up to the line's limit. The catalog's cache (a second behind other processes)
   * only turns away ids it cannot find in the database either; the database decides, after the
   * write: a product deleted before that check is taken out of the cart again and not found. A
   * deletion after it pulls the line itself (catalog.service.ts deletes, then empties the carts).
   */
  async add(user: UserDocument, productId: Types.ObjectId): Promise<AddOutcome> {
    const product = await this.catalog.product(productId);
    if (!product) return { kind: 'unknown-product' };
    if (!(await user.addToCart(productId))) return { kind: 'full', title: product.title };
    if (!(await Product.exists({ _id: productId }))) {
      await user.removeFromCart(productId);
      return { kind: 'unknown-product' };
    }
    return { kind: 'added', title: product.title };
  }

  /**
   * Sets a line's quantity (0 removes it) in one atomic update. Undefined, and nothing changed,
   * when the product is not in this shopper's cart; otherwise the product's title, for the notice.
   */
  async setQuantity(user: UserDocument, productId: Types.ObjectId, quantity: number): Promise<string | undefined> {
    if (!(await user.setCartQuantity(productId, quantity))) return undefined;
    return this.titleOf(productId);
  }

  /** Removes a line; the product's title, or undefined when it was not in the cart. */
  async remove(user: UserDocument, productId: Types.ObjectId): Promise<string | undefined> {
    return this.setQuantity(user, productId, 0);
  }

  /**
   * The cart with today's prices, each line's total and the cart's, in cents. Lines whose product
   * is gone are left out, and taken out of the User's cart.
   */
  async view(user: UserDocument): Promise<CartView> {
    const { lines, gone } = await cartLines(user.cart.items);
    if (gone.length > 0) {
      await User.updateOne({ _id: user._id }, { $pull: { 'cart.items': { productId: { $in: gone } } } });
    }
    const subtotalCents = lines.reduce((sum, line) => sum + line.lineCents, 0);
    return { lines, units: unitsIn(lines), subtotalCents, totalCents: subtotalCents };
  }

  /**
   * Turns the shopper's cart into an order shipped to `address`, which is kept on the User for next
   * time; without one, to the address kept, if any (the contract's bare POST /create-order).
   *
   * Three steps, each a single-document write, so that a crash between any two (SIGKILL, no
   * transaction on a standalone MongoDB) loses and duplicates nothing (docs/reliability.md):
   *  1. claim: one update empties the cart and records its lines as a pending order with a new id;
   *  2. the order is inserted with that id: doing it twice is a duplicate key, not a second order;
   *  3. the pending record is removed.
   * An order interrupted after 1 is completed by the shopper's next request or the next start-up.
   */
  async placeOrder(user: UserDocument, address: ShippingAddress | undefined): Promise<OrderOutcome> {
    const orderId = new Types.ObjectId();
    const pending = await user.claimCart(orderId, address ?? savedAddress(user), new Date(this.now()));
    if (!pending) return { kind: 'empty' };
    this.crash('after-claim');
    const placed = await completeOrder({ _id: user._id, email: user.email }, pending, this.crash);
    return placed ? { kind: 'placed', order: { id: orderId.toHexString() } } : { kind: 'empty' };
  }

  /**
   * Completes the shopper's orders that a crash interrupted (steps 2 and 3 above), from the User
   * loadUser already read: with none pending, no database command at all.
   */
  async completePendingOrders(user: UserDocument): Promise<number> {
    let completed = 0;
    for (const pending of user.pendingOrders ?? []) {
      if (await completeOrder({ _id: user._id, email: user.email }, pending, this.crash)) completed++;
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
    return orders.map(orderView);
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

function orderView(order: OrderRecord): OrderView {
  const lines = order.items.map(({ title, quantity, price }) => ({
    title,
    quantity,
    unitCents: centsOf(price),
    lineCents: centsOf(price) * quantity,
  }));
  const number = orderLabel(order);
  return {
    id: order._id.toHexString(),
    number,
    invoiceNumber: invoiceNumberOf(number),
    createdAt: order.createdAt,
    lines,
    totalCents: lines.reduce((sum, line) => sum + line.lineCents, 0),
    shipTo: order.shippingAddress ? addressLines(order.shippingAddress) : [],
  };
}

/**
 * The cart's items with their products as the database holds them now; `gone`: the products of
 * items that no longer exist (deleted meanwhile), which have no line.
 */
async function cartLines(items: readonly CartItem[]): Promise<{ lines: CartLine[]; gone: Types.ObjectId[] }> {
  if (items.length === 0) return { lines: [], gone: [] };
  const products = await Product.find({ _id: { $in: items.map((item) => item.productId) } }).lean<ProductRecord[]>();
  const byId = new Map(products.map((product) => [product._id.toHexString(), product]));
  const lines: CartLine[] = [];
  const gone: Types.ObjectId[] = [];
  for (const item of items) {
    const product = byId.get(item.productId.toHexString());
    if (!product) {
      gone.push(item.productId);
      continue;
    }
    const unitCents = centsOf(product.price);
    lines.push({ product, quantity: item.quantity, unitCents, lineCents: unitCents * item.quantity });
  }
  return { lines, gone };
}

/**
 * Steps 2 and 3 of placing an order: insert it under the pending record's id (a duplicate key on
 * _id means a run before this one got that far), then remove the record. False when none of its
 * products exists any more: there is nothing to order, and the record goes all the same.
 *
 * When the order cannot be inserted: during an outage the record stays, for the next request or
 * start-up; any other failure (the order's data refused) would fail again, so the lines go back
 * into the cart, and the error is thrown on.
 */
async function completeOrder(
  buyer: { _id: Types.ObjectId; email: string },
  pending: PendingOrder,
  crash: CrashHook,
): Promise<boolean> {
  const { lines } = await cartLines(pending.items);
  if (lines.length > 0) {
    try {
      await Order.create({
        _id: pending.id,
        number: await nextOrderNumber(),
        items: lines.map(({ product, quantity }) => ({
          productId: product._id,
          title: product.title,
          price: product.price,
          quantity,
        })),
        user: { userId: buyer._id, email: buyer.email },
        shippingAddress: pending.address,
        createdAt: pending.at,
      });
    } catch (error) {
      if (!isDuplicateOrderId(error)) {
        // Another run may have inserted it meanwhile: then it is done, not refused.
        if (!isDatabaseUnavailable(error) && !(await Order.exists({ _id: pending.id }))) {
          await returnPendingOrderToCart(buyer._id, pending.id);
        }
        throw error;
      }
    }
    crash('after-order');
  }
  await settlePendingOrder(buyer._id, pending.id);
  crash('after-clear');
  return lines.length > 0;
}

function isDuplicateOrderId(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    error.code === 11000 &&
    'keyPattern' in error &&
    typeof error.keyPattern === 'object' &&
    error.keyPattern !== null &&
    '_id' in error.keyPattern
  );
}

/**
 * At start-up: completes every order that a crash left pending, whoever's it is (the shoppers'
 * next requests would too, but a shopper may not come back). Returns how many were completed.
 */
export async function completeInterruptedOrders(): Promise<number> {
  let completed = 0;
  for (const user of await usersWithPendingOrders()) {
    for (const pending of user.pendingOrders ?? []) {
      if (await completeOrder(user, pending, crashHook(undefined))) completed++;
    }
  }
  return completed;
}
