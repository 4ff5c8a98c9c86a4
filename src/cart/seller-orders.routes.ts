import { requireLogin } from '../accounts/middleware/require-login';
import { areaRouter, type Parent } from '../http/area-router';
import type { FormChecks } from '../sessions/middleware/csrf';
import type { SellerOrdersController } from './seller-orders.controller';

/** The orders holding a seller's products (an admin's: every order), and where their forms lead back to. */
export const SELLER_ORDERS_PATH = '/admin/orders';

export interface SellerOrdersRoutesDeps {
  orders: SellerOrdersController;
  csrf: FormChecks;
}

/**
 * A seller's orders, at /admin/orders beside the catalog's sellers' pages: for logged-in shoppers
 * only (everyone is a seller of their own products); what an admin may do more is decided by the
 * controller.
 */
export function sellerOrdersRoutes(app: Parent, { orders, csrf }: SellerOrdersRoutesDeps): void {
  const routes = areaRouter(app, SELLER_ORDERS_PATH, { guard: requireLogin });
  routes.get('/', orders.getSellerOrders);
  routes.post('/ship', csrf.shopperForm, orders.postShip);
  routes.post('/deliver', csrf.shopperForm, orders.postDeliver);
}
