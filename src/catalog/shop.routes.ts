import { Router } from 'express';
import type { ShopController } from './shop.controller';
import { requireLogin } from '../accounts/require-login';

export function shopRoutes(shop: ShopController): Router {
  const routes = Router();

  routes.get('/', shop.getIndex);
  routes.get('/products', shop.getProducts);
  routes.get('/products/:productId', shop.getProduct);

  routes.get('/cart', requireLogin, shop.getCart);
  routes.post('/cart', requireLogin, shop.postCart);
  routes.post('/cart-delete-item', requireLogin, shop.postCartDeleteItem);
  routes.post('/create-order', requireLogin, shop.postOrder);
  routes.get('/orders', requireLogin, shop.getOrders);
  routes.get('/orders/:orderId/invoice', requireLogin, shop.getInvoice);
  return routes;
}
