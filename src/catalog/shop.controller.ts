import type { Request, Response } from 'express';
import { Order, totalInCents } from '../cart/order.model';
import { parseObjectId } from '../http/object-id';
import { loggedInUser } from '../accounts/require-login';
import { formField } from '../http/form-field';
import { notFound } from '../http/http-error';
import { pageHref, pagination, requestedPage } from '../http/pagination';
import { cartLines, placeOrder } from '../cart/cart.service';
import type { Catalog } from './catalog.service';
import { flash } from '../http/flash';
import { invoiceFilename, invoicePdf } from '../cart/invoice-pdf';

/** Products per page on the index and the product list: two or three full rows of cards. */
export const PRODUCTS_PER_PAGE = 6;

export interface ShopOptions {
  /** The product pages and details, read through a short cache (services/catalog.ts). */
  catalog: Catalog;
}

export function createShopController({ catalog }: ShopOptions) {
  /**
   * One page of products, newest first. A page past the last one redirects to the last page (the
   * list may have shrunk since the link was made); a `?page=` that is not a number from 1 up is a 404.
   */
  async function renderProductPage(
    req: Request,
    res: Response,
    view: { template: string; pageTitle: string; path: string },
  ): Promise<void> {
    const page = requestedPage(req.query.page);
    const { products, pageCount } = await catalog.page(page);
    if (page > pageCount) {
      res.redirect(pageHref(view.path, pageCount));
      return;
    }
    res.render(view.template, {
      pageTitle: page === 1 ? view.pageTitle : `${view.pageTitle}, page ${page}`,
      path: view.path,
      products,
      pagination: pagination(view.path, page, pageCount),
    });
  }

  return {
    async getIndex(req: Request, res: Response): Promise<void> {
      await renderProductPage(req, res, { template: 'shop/index', pageTitle: 'Shop', path: '/' });
    },

    async getProducts(req: Request, res: Response): Promise<void> {
      await renderProductPage(req, res, {
        template: 'shop/product-list',
        pageTitle: 'All products',
        path: '/products',
      });
    },

    async getProduct(req: Request, res: Response): Promise<void> {
      const productId = parseObjectId(req.params.productId);
      const product = productId && (await catalog.product(productId));
      if (!product) throw notFound();
      res.render('shop/product-detail', { pageTitle: product.title, path: '/products', product });
    },

    /** The product is checked against the catalog; the cart page and the order read it afresh. */
    async postCart(req: Request, res: Response): Promise<void> {
      const productId = parseObjectId(formField(req, 'productId'));
      if (!productId || !(await catalog.product(productId))) throw notFound();
      await loggedInUser(req).addToCart(productId);
      res.redirect('/cart');
    },

    getCart,
    postCartDeleteItem,
    postOrder,
    getOrders,
    getInvoice,
  };
}

export type ShopController = ReturnType<typeof createShopController>;

async function getCart(req: Request, res: Response): Promise<void> {
  const lines = await cartLines(loggedInUser(req).cart.items);
  const totalCents = totalInCents(lines.map(({ product, quantity }) => ({ price: product.price, quantity })));
  res.render('shop/cart', { pageTitle: 'Your cart', path: '/cart', lines, totalCents });
}

async function postCartDeleteItem(req: Request, res: Response): Promise<void> {
  const productId = parseObjectId(formField(req, 'productId'));
  if (!productId) throw notFound();
  await loggedInUser(req).removeFromCart(productId);
  res.redirect('/cart');
}

async function postOrder(req: Request, res: Response): Promise<void> {
  const order = await placeOrder(loggedInUser(req));
  if (order) flash(req, 'success', 'Thank you! Your order has been placed.');
  else flash(req, 'info', 'Your cart is empty: there was nothing to order.');
  res.redirect(order ? '/orders' : '/cart');
}

async function getOrders(req: Request, res: Response): Promise<void> {
  const orders = await Order.find({ 'user.userId': loggedInUser(req)._id })
    .sort({ createdAt: -1 })
    .lean();
  const withTotals = orders.map((order) => ({ ...order, totalCents: totalInCents(order.items) }));
  res.render('shop/orders', { pageTitle: 'Your orders', path: '/orders', orders: withTotals });
}

/** The invoice of one of the shopper's own orders; any other order id, even a real one, is a 404. */
async function getInvoice(req: Request, res: Response): Promise<void> {
  const orderId = parseObjectId(req.params.orderId);
  const order = orderId && (await Order.findOne({ _id: orderId, 'user.userId': loggedInUser(req)._id }).lean());
  if (!order) throw notFound();
  const id = order._id.toHexString();
  const pdf = invoicePdf({ orderId: id, date: order.createdAt, customerEmail: order.user.email, items: order.items });
  res.type('application/pdf').attachment(invoiceFilename(id));
  pdf.pipe(res);
}
