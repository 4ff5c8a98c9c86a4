import { Router } from 'express';
import * as shop from '../controllers/shop';
import { requireLogin } from '../middleware/require-login';

export const shopRoutes = Router();

shopRoutes.get('/', shop.getIndex);
shopRoutes.get('/products', shop.getProducts);
shopRoutes.get('/products/:productId', shop.getProduct);

shopRoutes.get('/cart', requireLogin, shop.getCart);
shopRoutes.post('/cart', requireLogin, shop.postCart);
shopRoutes.post('/cart-delete-item', requireLogin, shop.postCartDeleteItem);
shopRoutes.post('/create-order', requireLogin, shop.postOrder);
shopRoutes.get('/orders', requireLogin, shop.getOrders);
shopRoutes.get('/orders/:orderId/invoice', requireLogin, shop.getInvoice);
