import { areaRouter, type Parent } from '../http/area-router';
import type { CatalogController } from './catalog.controller';

export const PRODUCTS_PATH = '/products';

/** The shop window, open to everyone, at the site's root. */
export function catalogRoutes(app: Parent, { catalog }: { catalog: CatalogController }): void {
  const routes = areaRouter(app, '/');
  routes.get('/', catalog.getIndex);
  routes.get(PRODUCTS_PATH, catalog.getProducts);
  routes.get(`${PRODUCTS_PATH}/:productId`, catalog.getProduct);
}
