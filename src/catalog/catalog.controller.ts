import type { Request, Response } from 'express';
import { parseObjectId } from '../http/object-id';
import { HttpError, notFound } from '../http/http-error';
import { pageHref, pagination, requestedPage } from '../http/pagination';
import { PRODUCT_SORTS, type Catalog, type ProductSort } from './catalog.service';
import { searchWordsOf } from './search';

export interface CatalogControllerOptions {
  /** The product pages and details, read through a short cache. */
  catalog: Catalog;
}

const MAX_QUERY_LENGTH = 100;

/** `?q=`: the words searched for, as typed (at most 100 characters); a repeated or nested key is a bad request. */
function searchOf(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new HttpError(400);
  return value.slice(0, MAX_QUERY_LENGTH).trim();
}

/** `?sort=`: one of the known orders; anything else is a bad request. */
function sortOf(value: unknown): ProductSort {
  if (value === undefined || value === '') return 'newest';
  const sort = PRODUCT_SORTS.find((known) => known === value);
  if (!sort) throw new HttpError(400);
  return sort;
}

/** The shop window: the home page, the product list with its search and order, and a product's page. */
export function createCatalogController({ catalog }: CatalogControllerOptions) {
  /**
   * One page of products. A page past the last one redirects to the last page (the list may have
   * shrunk since the link was made); a `?page=` that is not a number from 1 up is a 404.
   */
  async function renderProductPage(
    req: Request,
    res: Response,
    view: { template: string; pageTitle: string; path: string },
  ): Promise<void> {
    const page = requestedPage(req.query.page);
    const search = searchOf(req.query.q);
    const sort = sortOf(req.query.sort);
    // Kept in every page link: the search and a sort other than the default.
    const params: Record<string, string> = {};
    if (search !== '') params.q = search;
    if (sort !== 'newest') params.sort = sort;
    const { products, pageCount } = await catalog.page({ words: searchWordsOf(search), sort, page });
    if (page > pageCount) {
      res.redirect(pageHref(view.path, pageCount, params));
      return;
    }
    const title = search === '' ? view.pageTitle : `Search: ${search}`;
    res.render(view.template, {
      pageTitle: page === 1 ? title : `${title}, page ${page}`,
      path: view.path,
      products,
      search,
      sort,
      pagination: pagination(view.path, page, pageCount, params),
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
