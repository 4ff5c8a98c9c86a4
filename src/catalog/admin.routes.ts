import { Router, type RequestHandler } from 'express';
import { requireLogin } from '../accounts/middleware/require-login';
import { verifyCsrfAfterUpload } from '../sessions/middleware/csrf';
import type { AdminController } from './admin.controller';
import type { ShopAdminController } from './shop-admin.controller';
import type { PhotoQueue } from './photo-queue';
import { productRules, productUpload } from './product.forms';

/** Where app.ts mounts these routes. */
export const ADMIN_PATH = '/admin';

/**
 * The forms that may come as multipart/form-data (with a photo): the app's CSRF check leaves them
 * to their routes, which read the form only once the shopper is known to be logged in.
 */
export const PRODUCT_FORMS = [`${ADMIN_PATH}/add-product`, `${ADMIN_PATH}/edit-product`] as const;

/**
 * Mounted at /admin: every page here is for logged-in shoppers only. A product form is counted
 * against the shopper's photo limit, then read (multipart: its photo too, if `photoQueue` has a
 * place for it), then its token and its fields are checked.
 */
export function adminRoutes(
  admin: AdminController,
  photoLimit: RequestHandler,
  photoQueue: PhotoQueue,
  shop: { controller: ShopAdminController; requireAdmin: RequestHandler },
): Router {
  const productForm = [photoLimit, productUpload(photoQueue), verifyCsrfAfterUpload, ...productRules];
  const routes = Router();
  routes.use(requireLogin);

  routes.get('/add-product', admin.getAddProduct);
  routes.post('/add-product', productForm, admin.postAddProduct);
  routes.get('/products', admin.getProducts);
  routes.get('/edit-product/:productId', admin.getEditProduct);
  routes.post('/edit-product', productForm, admin.postEditProduct);
  routes.post('/delete-product', admin.postDeleteProduct);
  // An admin's, for the shop as a whole: anyone else gets 404.
  routes.post('/hide-product', shop.requireAdmin, shop.controller.postHideProduct);
  routes.post('/show-product', shop.requireAdmin, shop.controller.postShowProduct);
  routes.get('/hidden-products', shop.requireAdmin, shop.controller.getHiddenProducts);
  return routes;
}
