import { Catalog, pagination, PRODUCTS_PER_PAGE, User, type CatalogPage } from '../shop';

/**
 * What the shop's controller passes to `catalog/product-list` for /products without a search, in
 * the default order: the ceiling, the floor and the peers render the same page from it, so a new
 * local the page needs is added here once.
 */
export function productListLocals(products: unknown[], page: number, pageCount: number) {
  return {
    pageTitle: 'All products',
    path: '/products',
    products,
    pagination: pagination('/products', page, pageCount),
    search: '',
    sort: 'newest',
  };
}

/** The first page of /products, read once through the shop's own catalog (mongoose connected): what its cache holds. */
export async function firstPageLocals(): Promise<ReturnType<typeof productListLocals>> {
  const catalog = new Catalog({ users: User, perPage: PRODUCTS_PER_PAGE, cacheMs: 0 });
  const { products, pageCount }: CatalogPage = await catalog.page({ words: [], sort: 'newest', page: 1 });
  return productListLocals(products, 1, pageCount);
}
