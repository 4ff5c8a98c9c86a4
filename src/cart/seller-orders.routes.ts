import { Router } from 'express';
import { requireLogin } from '../accounts/middleware/require-login';
import type { SellerOrdersController } from './seller-orders.controller';

/**
 * Mounted at /admin beside the catalog's sellers' pages: a seller's orders (an admin's: all), for
 * logged-in shoppers only.
 */
export function sellerOrdersRoutes(orders: SellerOrdersController): Router {
  const routes = Router();
  routes.get('/orders', requireLogin, orders.getSellerOrders);
  routes.post('/orders/ship', requireLogin, orders.postShip);
  routes.post('/orders/deliver', requireLogin, orders.postDeliver);
  return routes;
}
