import { Router } from 'express';
import { requireLogin } from '../accounts/middleware/require-login';
import type { AdminController } from './admin.controller';
import { productRules } from './product.forms';

/** Mounted at /admin: every page here is for logged-in shoppers only. */
export function adminRoutes(admin: AdminController): Router {
  const routes = Router();
  routes.use(requireLogin);

  routes.get('/add-product', admin.getAddProduct);
  routes.post('/add-product', productRules, admin.postAddProduct);
  routes.get('/products', admin.getProducts);
  routes.get('/edit-product/:productId', admin.getEditProduct);
  routes.post('/edit-product', productRules, admin.postEditProduct);
  routes.post('/delete-product', admin.postDeleteProduct);
  return routes;
}
