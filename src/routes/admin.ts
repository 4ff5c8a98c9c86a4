import { Router } from 'express';
import type { AdminController } from '../controllers/admin';
import { requireLogin } from '../middleware/require-login';
import { productRules } from '../validation/product-form';

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
