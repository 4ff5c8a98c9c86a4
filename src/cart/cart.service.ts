import type { Types } from 'mongoose';
import type { CartItem, UserDocument } from '../accounts/user.model';
import type { Catalog } from '../catalog/catalog.service';
import { Product, type ProductRecord } from '../catalog/product.model';
import { Order, totalInCents, type IOrder, type OrderDocument } from './order.model';
import { invoiceFilename, invoicePdf } from './invoice-pdf';

export interface CartLine {
  product: ProductRecord;
  quantity: number;
}

export interface CartView {
  lines: CartLine[];
  totalCents: number;
}

export type OrderWithTotal = IOrder & { _id: Types.ObjectId; totalCents: number };

export interface Invoice {
  filename: string;
  pdf: PDFKit.PDFDocument;
}

export interface CartOptions {
  /** Says whether a product exists (from its short cache); carts and orders read prices afresh. */
  catalog: Catalog;
}

/**
 * A shopper's cart and orders. The cart lives in the User document and changes only through its
 * atomic updates (user.model.ts); ordering claims it in one step, so two parallel orders can't both
 * get it. Orders keep what was bought as it was then.
 */
export class Cart {
  private readonly catalog: Catalog;

  constructor({ catalog }: CartOptions) {
    this.catalog = catalog;
  }

  /** Adds one unit; false when there is no such product. */
  async add(user: UserDocument, productId: Types.ObjectId): Promise<boolean> {
    if (!(await this.catalog.product(productId))) return false;
    await user.addToCart(productId);
    return true;
  }

  async remove(user: UserDocument, productId: Types.ObjectId): Promise<void> {
    await user.removeFromCart(productId);
  }

  /** The cart with today's prices and its total in cents. */
  async view(user: UserDocument): Promise<CartView> {
    const lines = await cartLines(user.cart.items);
    const totalCents = totalInCents(lines.map(({ product, quantity }) => ({ price: product.price, quantity })));
    return { lines, totalCents };
  }

  /**
   * Turns the shopper's cart into an order. The cart is claimed (emptied) in one atomic step
   * first, so two parallel checkouts cannot both order it; if the order then cannot be saved,
   * the claimed items go back into the cart. Returns undefined when there was nothing to order.
   */
  async placeOrder(user: UserDocument): Promise<OrderDocument | undefined> {
    const claimed = await user.takeCart();
    if (claimed.length === 0) return undefined;
    try {
      const lines = await cartLines(claimed);
      if (lines.length === 0) return undefined;
      return await Order.create({
        items: lines.map(({ product, quantity }) => ({
          productId: product._id,
          title: product.title,
          price: product.price,
          quantity,
        })),
        user: { userId: user._id, email: user.email },
      });
    } catch (error) {
      // addToCart merges with whatever the shopper added meanwhile; the order's error is what counts.
      await Promise.allSettled(claimed.map((item) => user.addToCart(item.productId, item.quantity)));
      throw error;
    }
  }

  /** A buyer who leaves: their orders stay in the shop's books, without their email. */
  async forgetBuyer(userId: Types.ObjectId): Promise<void> {
    await Order.updateMany({ 'user.userId': userId }, { $unset: { 'user.email': '' } });
  }

  /** The shopper's orders, newest first, each with its total. */
  async orders(user: UserDocument): Promise<OrderWithTotal[]> {
    const orders = await Order.find({ 'user.userId': user._id })
      .sort({ createdAt: -1 })
      .lean<Array<IOrder & { _id: Types.ObjectId }>>();
    return orders.map((order) => ({ ...order, totalCents: totalInCents(order.items) }));
  }

  /** The invoice of one of the shopper's own orders; any other order id, even a real one, is undefined. */
  async invoice(user: UserDocument, orderId: Types.ObjectId): Promise<Invoice | undefined> {
    const order = await Order.findOne({ _id: orderId, 'user.userId': user._id }).lean<
      IOrder & { _id: Types.ObjectId }
    >();
    if (!order) return undefined;
    const id = order._id.toHexString();
    const pdf = invoicePdf({
      orderId: id,
      date: order.createdAt,
      customerEmail: order.user.email ?? '(account deleted)',
      items: order.items,
    });
    return { filename: invoiceFilename(id), pdf };
  }
}

/** The cart with its products; items whose product was deleted meanwhile are left out. */
async function cartLines(items: readonly CartItem[]): Promise<CartLine[]> {
  if (items.length === 0) return [];
  const products = await Product.find({ _id: { $in: items.map((item) => item.productId) } }).lean<ProductRecord[]>();
  const byId = new Map(products.map((product) => [product._id.toHexString(), product]));
  return items.flatMap((item) => {
    const product = byId.get(item.productId.toHexString());
    return product ? [{ product, quantity: item.quantity }] : [];
  });
}
