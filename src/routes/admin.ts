import { Router } from 'express';
import * as admin from '../controllers/admin';
import { requireLogin } from '../middleware/require-login';
import { productRules } from '../validation/product-form';

/** Mounted at /admin: every page here is for logged-in shoppers only. */
export const adminRoutes = Router();

adminRoutes.use(requireLogin);

adminRoutes.get('/add-product', admin.getAddProduct);
adminRoutes.post('/add-product', productRules, admin.postAddProduct);
adminRoutes.get('/products', admin.getProducts);
adminRoutes.get('/edit-product/:productId', admin.getEditProduct);
adminRoutes.post('/edit-product', productRules, admin.postEditProduct);
adminRoutes.post('/delete-product', admin.postDeleteProduct);
