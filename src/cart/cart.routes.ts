import { requireLogin } from '../accounts/middleware/require-login';
import { areaRouter, type Parent } from '../http/area-router';
import type { FormChecks } from '../sessions/middleware/csrf';
import type { CartController } from './cart.controller';
import { addressRules } from './cart.forms';

export const CART_PATH = '/cart';
export const CHECKOUT_PATH = '/checkout';
export const ORDERS_PATH = '/orders';
/** The buyer cancels a placed order (an admin: any); the contract's name. */
export const ORDER_CANCEL_PATH = `${ORDERS_PATH}/cancel`;

/** Where an order's confirmation is shown. */
export function orderConfirmationPath(orderId: string): string {
  return `${ORDERS_PATH}/${orderId}/confirmation`;
}

export interface CartRoutesDeps {
  cart: CartController;
  csrf: FormChecks;
}

/** The cart, the checkout and the orders, at the site's root: for logged-in shoppers only. */
export function cartRoutes(app: Parent, { cart, csrf }: CartRoutesDeps): void {
  const routes = areaRouter(app, '/', { guard: requireLogin });
  const form = csrf.shopperForm;
  routes.get(CART_PATH, cart.getCart);
  routes.post(CART_PATH, form, cart.postCart);
  routes.post('/cart-update', form, cart.postCartUpdate);
  routes.post('/cart-delete-item', form, cart.postCartDeleteItem);
  routes.get(CHECKOUT_PATH, cart.getCheckout);
  // The address rules only count when the form sent an address (see postOrder).
  routes.post('/create-order', form, ...addressRules, cart.postOrder);
  routes.get(ORDERS_PATH, cart.getOrders);
  routes.post(ORDER_CANCEL_PATH, form, cart.postCancelOrder);
  routes.get(`${ORDERS_PATH}/:orderId/confirmation`, cart.getOrderConfirmation);
  routes.get(`${ORDERS_PATH}/:orderId/invoice`, cart.getInvoice);
}
