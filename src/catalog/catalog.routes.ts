import { Router } from 'express';
import type { CatalogController } from './catalog.controller';

/** The shop window, open to everyone. */
export function catalogRoutes(catalog: CatalogController): Router {
  const routes = Router();
  routes.get('/', catalog.getIndex);
  routes.get('/products', catalog.getProducts);
  routes.get('/products/:productId', catalog.getProduct);
  return routes;
}
