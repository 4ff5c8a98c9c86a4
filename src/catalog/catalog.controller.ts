import type { Request, Response } from 'express';
import { parseObjectId } from '../http/object-id';
import { notFound } from '../http/http-error';
import { pageHref, pagination, requestedPage } from '../http/pagination';
import type { Catalog } from './catalog.service';

export interface CatalogControllerOptions {
  /** The product pages and details, read through a short cache. */
  catalog: Catalog;
}

/** The shop window: the index, the product list and a product's page. */
export function createCatalogController({ catalog }: CatalogControllerOptions) {
  /**
   * One page of products, newest first. A page past the last one redirects to the last page (the
   * list may have shrunk since the link was made); a `?page=` that is not a number from 1 up is a 404.
   */
  async function renderProductPage(
    req: Request,
    res: Response,
    view: { template: string; pageTitle: string; path: string },
  ): Promise<void> {
    const page = requestedPage(req.query.page);
    const { products, pageCount } = await catalog.page(page);
    if (page > pageCount) {
      res.redirect(pageHref(view.path, pageCount));
      return;
    }
    res.render(view.template, {
      pageTitle: page === 1 ? view.pageTitle : `${view.pageTitle}, page ${page}`,
      path: view.path,
      products,
      pagination: pagination(view.path, page, pageCount),
    });
  }

  async function getIndex(req: Request, res: Response): Promise<void> {
    await renderProductPage(req, res, { template: 'catalog/index', pageTitle: 'Shop', path: '/' });
  }

  async function getProducts(req: Request, res: Response): Promise<void> {
    await renderProductPage(req, res, {
      template: 'catalog/product-list',
      pageTitle: 'All products',
      path: '/products',
    });
  }

  async function getProduct(req: Request, res: Response): Promise<void> {
    const productId = parseObjectId(req.params.productId);
    const product = productId && (await catalog.product(productId));
    if (!product) throw notFound();
    res.render('catalog/product-detail', { pageTitle: product.title, path: '/products', product });
  }

  return { getIndex, getProducts, getProduct };
}

export type CatalogController = ReturnType<typeof createCatalogController>;
