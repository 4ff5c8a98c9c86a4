import type { Request, Response } from 'express';
import { Product } from '../models/product';
import { Order, totalInCents } from '../models/order';
import { parseObjectId } from '../models/object-id';
import { loggedInUser } from '../middleware/require-login';
import { formField } from '../http/form-field';
import { notFound } from '../http/http-error';
import { cartLines, placeOrder, type ProductRecord } from '../services/cart';
import { flash } from '../middleware/flash';

async function allProducts(): Promise<ProductRecord[]> {
  return Product.find().sort({ createdAt: -1 }).lean<ProductRecord[]>();
}

export async function getIndex(_req: Request, res: Response): Promise<void> {
  res.render('shop/index', { pageTitle: 'Shop', path: '/', products: await allProducts() });
}

export async function getProducts(_req: Request, res: Response): Promise<void> {
  res.render('shop/product-list', { pageTitle: 'All products', path: '/products', products: await allProducts() });
}

export async function getProduct(req: Request, res: Response): Promise<void> {
  const productId = parseObjectId(req.params.productId);
  const product = productId && (await Product.findById(productId).lean<ProductRecord>());
  if (!product) throw notFound();
  res.render('shop/product-detail', { pageTitle: product.title, path: '/products', product });
}

export async function getCart(req: Request, res: Response): Promise<void> {
  const lines = await cartLines(loggedInUser(req).cart.items);
  const totalCents = totalInCents(lines.map(({ product, quantity }) => ({ price: product.price, quantity })));
  res.render('shop/cart', { pageTitle: 'Your cart', path: '/cart', lines, totalCents });
}

export async function postCart(req: Request, res: Response): Promise<void> {
  const productId = parseObjectId(formField(req, 'productId'));
  if (!productId || !(await Product.exists({ _id: productId }))) throw notFound();
  await loggedInUser(req).addToCart(productId);
  res.redirect('/cart');
}

export async function postCartDeleteItem(req: Request, res: Response): Promise<void> {
  const productId = parseObjectId(formField(req, 'productId'));
  if (!productId) throw notFound();
  await loggedInUser(req).removeFromCart(productId);
  res.redirect('/cart');
}

export async function postOrder(req: Request, res: Response): Promise<void> {
  const order = await placeOrder(loggedInUser(req));
  if (order) flash(req, 'success', 'Thank you! Your order has been placed.');
  else flash(req, 'info', 'Your cart is empty: there was nothing to order.');
  res.redirect(order ? '/orders' : '/cart');
}

export async function getOrders(req: Request, res: Response): Promise<void> {
  const orders = await Order.find({ 'user.userId': loggedInUser(req)._id })
    .sort({ createdAt: -1 })
    .lean();
  const withTotals = orders.map((order) => ({ ...order, totalCents: totalInCents(order.items) }));
  res.render('shop/orders', { pageTitle: 'Your orders', path: '/orders', orders: withTotals });
}
