import { pageCountFor, pagination } from '../../src/http/pagination';
import { PRODUCTS_PER_PAGE } from '../../src/catalog/catalog.service';

/**
 * What the shop's controller passes to `catalog/product-list` for /products without a search, in
 * the default order: the ceiling, the floor and the peers render the same page from it, so a new
 * local the page needs is added here once.
 */
export function productListLocals(products: unknown[], page: number, productCount: number) {
  return {
    pageTitle: 'All products',
    path: '/products',
    products,
    pagination: pagination('/products', page, pageCountFor(productCount, PRODUCTS_PER_PAGE)),
    search: '',
    sort: 'newest',
  };
}
