import { Router } from 'express';
import { requireLogin } from '../accounts/middleware/require-login';
import type { CartController } from './cart.controller';

export function cartRoutes(cart: CartController): Router {
  const routes = Router();
  routes.get('/cart', requireLogin, cart.getCart);
  routes.post('/cart', requireLogin, cart.postCart);
  routes.post('/cart-delete-item', requireLogin, cart.postCartDeleteItem);
  routes.post('/create-order', requireLogin, cart.postOrder);
  routes.get('/orders', requireLogin, cart.getOrders);
  routes.get('/orders/:orderId/invoice', requireLogin, cart.getInvoice);
  return routes;
}
