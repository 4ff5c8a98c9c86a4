import type { Request, Response } from 'express';
import { loggedInUser } from '../accounts/current-user';
import { flash } from '../http/flash';
import { formField } from '../http/form-field';
import { notFound } from '../http/http-error';
import { localPath } from '../http/local-path';
import { parseObjectId } from '../http/object-id';
import { pageHref, pagination, requestedPage } from '../http/pagination';
import type { SecurityLog } from '../sessions/security-log';
import type { Catalog } from './catalog.service';
import { HIDDEN_PRODUCTS_PATH } from './admin.routes';

export interface ShopAdminControllerOptions {
  catalog: Catalog;
  securityLog: SecurityLog;
}

/**
 * What an admin does to the shop's products (the routes let admins only through: anyone else gets
 * 404): hide one from the shop, show it again, list the hidden ones. Each change is a security-log
 * event with the admin's id and the product's.
 */
export function createShopAdminController({ catalog, securityLog }: ShopAdminControllerOptions) {
  function setHidden(hidden: boolean) {
    return async (req: Request, res: Response): Promise<void> => {
      const productId = parseObjectId(formField(req, 'productId'));
      const title = productId && (await catalog.setHidden(productId, hidden));
      if (!productId || title === undefined) throw notFound();
      securityLog.event(req, hidden ? 'admin-product-hidden' : 'admin-product-shown', {
        userId: loggedInUser(req)._id.toHexString(),
        target: productId.toHexString(),
      });
      flash(
        req,
        res,
        'success',
        hidden
          ? `“${title}” is hidden from the shop: it left every list, search and cart.`
          : `“${title}” is in the shop again.`,
      );
      res.redirect(localPath(formField(req, 'returnTo')) ?? HIDDEN_PRODUCTS_PATH);
    };
  }

  async function getHiddenProducts(req: Request, res: Response): Promise<void> {
    const page = requestedPage(req.query.page);
    const { products, pageCount } = await catalog.hiddenPage(page);
    if (page > pageCount) {
      res.redirect(pageHref(HIDDEN_PRODUCTS_PATH, pageCount));
      return;
    }
    res.render('catalog/admin/hidden-products', {
      pageTitle: page === 1 ? 'Hidden products' : `Hidden products, page ${page}`,
      path: HIDDEN_PRODUCTS_PATH,
      products,
      pagination: pagination(HIDDEN_PRODUCTS_PATH, page, pageCount),
    });
  }

  return { postHideProduct: setHidden(true), postShowProduct: setHidden(false), getHiddenProducts };
}

export type ShopAdminController = ReturnType<typeof createShopAdminController>;
