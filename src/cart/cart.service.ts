import type { Types } from 'mongoose';
import type { CartItem, ShippingAddress, UserDocument } from '../accounts/user.model';
import type { Catalog } from '../catalog/catalog.service';
import { Product, type ProductRecord } from '../catalog/product.model';
import { SHOP_ADDRESS, SHOP_NAME } from '../http/view-helpers';
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
  | { kind: 'placed'; order: { id: string; number: string } }
  /** Nothing in the cart (any more): no order. */
  | { kind: 'empty' };

export interface Invoice {
  filename: string;
  pdf: PDFKit.PDFDocument;
}

export interface CartOptions {
  /** Says whether a product exists and names it (from its short cache); carts and orders read prices afresh. */
  catalog: Catalog;
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

  constructor({ catalog }: CartOptions) {
    this.catalog = catalog;
  }

  /** Adds one unit, up to the line's limit. */
  async add(user: UserDocument, productId: Types.ObjectId): Promise<AddOutcome> {
    const product = await this.catalog.product(productId);
    if (!product) return { kind: 'unknown-product' };
    const added = await user.addToCart(productId);
    return { kind: added ? 'added' : 'full', title: product.title };
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

  /** The cart with today's prices, each line's total and the cart's, in cents. */
  async view(user: UserDocument): Promise<CartView> {
    const lines = await cartLines(user.cart.items);
    const subtotalCents = lines.reduce((sum, line) => sum + line.lineCents, 0);
    return { lines, units: unitsIn(lines), subtotalCents, totalCents: subtotalCents };
  }

  /**
   * Turns the shopper's cart into an order shipped to `address`, which is kept on the User for next
   * time; without one, to the address kept, if any (the contract's bare POST /create-order). The
   * cart is claimed (emptied) in one atomic step first, so two parallel checkouts cannot both order
   * it; if the order then cannot be saved, the claimed items go back into the cart.
   */
  async placeOrder(user: UserDocument, address: ShippingAddress | undefined): Promise<OrderOutcome> {
    if (address) await user.saveShippingAddress(address);
    const shipTo = address ?? savedAddress(user);

    const claimed = await user.takeCart();
    if (claimed.length === 0) return { kind: 'empty' };
    try {
      const lines = await cartLines(claimed);
      if (lines.length === 0) return { kind: 'empty' };
      const order = await Order.create({
        number: await nextOrderNumber(),
        items: lines.map(({ product, quantity }) => ({
          productId: product._id,
          title: product.title,
          price: product.price,
          quantity,
        })),
        user: { userId: user._id, email: user.email },
        shippingAddress: shipTo,
      });
      return { kind: 'placed', order: { id: order._id.toHexString(), number: orderLabel(order) } };
    } catch (error) {
      // addToCart merges with whatever the shopper added meanwhile, past the line's limit if need be:
      // nothing claimed is lost. The order's error is what counts.
      await Promise.allSettled(
        claimed.map((item) => user.addToCart(item.productId, item.quantity, { upTo: Number.POSITIVE_INFINITY })),
      );
      throw error;
    }
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

/** The cart with its products; items whose product was deleted meanwhile are left out. */
async function cartLines(items: readonly CartItem[]): Promise<CartLine[]> {
  if (items.length === 0) return [];
  const products = await Product.find({ _id: { $in: items.map((item) => item.productId) } }).lean<ProductRecord[]>();
  const byId = new Map(products.map((product) => [product._id.toHexString(), product]));
  return items.flatMap((item) => {
    const product = byId.get(item.productId.toHexString());
    if (!product) return [];
    const unitCents = centsOf(product.price);
    return [{ product, quantity: item.quantity, unitCents, lineCents: unitCents * item.quantity }];
  });
}
