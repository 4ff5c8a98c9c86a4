import type { RequestHandler } from 'express';
import { requireLogin } from '../accounts/middleware/require-login';
import { areaRouter, type Parent } from '../http/area-router';
import type { FormChecks } from '../sessions/middleware/csrf';
import type { AdminController } from './admin.controller';
import type { ShopAdminController } from './shop-admin.controller';
import type { PhotoQueue } from './photo-queue';
import { productRules, productUpload } from './product.forms';

export const ADMIN_PATH = '/admin';
/** The seller's list of their products: where every product form leads back to. */
export const ADMIN_PRODUCTS_PATH = `${ADMIN_PATH}/products`;
export const ADD_PRODUCT_PATH = `${ADMIN_PATH}/add-product`;
/** The admins' list of hidden products, where each can be shown again. */
export const HIDDEN_PRODUCTS_PATH = `${ADMIN_PATH}/hidden-products`;

export interface AdminRoutesDeps {
  admin: AdminController;
  csrf: FormChecks;
  /** Product forms with a photo per shopper and window (middleware/photo-limit.ts). */
  photoLimit: RequestHandler;
  photoQueue: PhotoQueue;
  /** What an admin does to the shop's products, and the guard that lets admins only through (404). */
  shopAdmin: { controller: ShopAdminController; requireAdmin: RequestHandler };
}

/**
 * The sellers' pages, at /admin: for logged-in shoppers only. A product form may come as
 * multipart (with a photo): once the shopper is known to be logged in, it is counted against the
 * shopper's photo limit, then read (its photo too, if `photoQueue` has a place for it), then its
 * token and its fields are checked.
 */
export function adminRoutes(app: Parent, { admin, csrf, photoLimit, photoQueue, shopAdmin }: AdminRoutesDeps): void {
  const routes = areaRouter(app, ADMIN_PATH, { guard: requireLogin });
  const productForm = csrf.uploadForm(photoLimit, productUpload(photoQueue));
  routes.get('/add-product', admin.getAddProduct);
  routes.post('/add-product', productForm, ...productRules, admin.postAddProduct);
  routes.get('/products', admin.getProducts);
  routes.get('/edit-product/:productId', admin.getEditProduct);
  routes.post('/edit-product', productForm, ...productRules, admin.postEditProduct);
  routes.post('/delete-product', csrf.shopperForm, admin.postDeleteProduct);
  // An admin's, for the shop as a whole: anyone else gets 404.
  const { controller: shop, requireAdmin } = shopAdmin;
  routes.post('/hide-product', csrf.shopperForm, requireAdmin, shop.postHideProduct);
  routes.post('/show-product', csrf.shopperForm, requireAdmin, shop.postShowProduct);
  routes.get('/hidden-products', requireAdmin, shop.getHiddenProducts);
}
