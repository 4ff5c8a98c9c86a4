import type { Request, Response } from 'express';
import { parseObjectId } from '../http/object-id';
import { formField } from '../http/form-field';
import { notFound } from '../http/http-error';
import { flash } from '../http/flash';
import { loggedInUser } from '../accounts/current-user';
import type { Cart } from './cart.service';

export interface CartControllerOptions {
  cart: Cart;
}

/** The cart, ordering, the orders page and invoices: all for the logged-in shopper only. */
export function createCartController({ cart }: CartControllerOptions) {
  async function postCart(req: Request, res: Response): Promise<void> {
    const productId = parseObjectId(formField(req, 'productId'));
    if (!productId || !(await cart.add(loggedInUser(req), productId))) throw notFound();
    res.redirect('/cart');
  }

  async function getCart(req: Request, res: Response): Promise<void> {
    const { lines, totalCents } = await cart.view(loggedInUser(req));
    res.render('cart/cart', { pageTitle: 'Your cart', path: '/cart', lines, totalCents });
  }

  async function postCartDeleteItem(req: Request, res: Response): Promise<void> {
    const productId = parseObjectId(formField(req, 'productId'));
    if (!productId) throw notFound();
    await cart.remove(loggedInUser(req), productId);
    res.redirect('/cart');
  }

  async function postOrder(req: Request, res: Response): Promise<void> {
    const order = await cart.placeOrder(loggedInUser(req));
    if (order) flash(req, res, 'success', 'Thank you! Your order has been placed.');
    else flash(req, res, 'info', 'Your cart is empty: there was nothing to order.');
    res.redirect(order ? '/orders' : '/cart');
  }

  async function getOrders(req: Request, res: Response): Promise<void> {
    const orders = await cart.orders(loggedInUser(req));
    res.render('cart/orders', { pageTitle: 'Your orders', path: '/orders', orders });
  }

  async function getInvoice(req: Request, res: Response): Promise<void> {
    const orderId = parseObjectId(req.params.orderId);
    const invoice = orderId && (await cart.invoice(loggedInUser(req), orderId));
    if (!invoice) throw notFound();
    res.type('application/pdf').attachment(invoice.filename);
    invoice.pdf.pipe(res);
  }

  return { postCart, getCart, postCartDeleteItem, postOrder, getOrders, getInvoice };
}

export type CartController = ReturnType<typeof createCartController>;
