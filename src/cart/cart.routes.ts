import { Router } from 'express';
import { requireLogin } from '../accounts/middleware/require-login';
import type { CartController } from './cart.controller';
import { addressRules } from './cart.forms';

export function cartRoutes(cart: CartController): Router {
  const routes = Router();
  routes.get('/cart', requireLogin, cart.getCart);
  routes.post('/cart', requireLogin, cart.postCart);
  routes.post('/cart-update', requireLogin, cart.postCartUpdate);
  routes.post('/cart-delete-item', requireLogin, cart.postCartDeleteItem);
  routes.get('/checkout', requireLogin, cart.getCheckout);
  // The address rules only count when the form sent an address (see postOrder).
  routes.post('/create-order', requireLogin, addressRules, cart.postOrder);
  routes.get('/orders', requireLogin, cart.getOrders);
  routes.post('/orders/cancel', requireLogin, cart.postCancelOrder);
  routes.get('/orders/:orderId/confirmation', requireLogin, cart.getOrderConfirmation);
  routes.get('/orders/:orderId/invoice', requireLogin, cart.getInvoice);
  return routes;
}
