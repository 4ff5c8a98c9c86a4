import { Router } from 'express';
import type { ProductImagesController } from './product-images.controller';
import { IMAGES_PATH } from './product-images.service';

/** Product photos: open to everyone, mounted before the session (an image costs no session look-up). */
export function productImageRoutes(controller: ProductImagesController): Router {
  const routes = Router();
  routes.get(`${IMAGES_PATH}/:imageId/:width`, controller.getImage);
  return routes;
}
