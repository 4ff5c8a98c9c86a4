import { areaRouter, type Parent } from '../http/area-router';
import type { ProductImagesController } from './product-images.controller';
import { IMAGES_PATH } from './product-images.service';

/** Product photos: open to everyone, mounted before the session (an image costs no session look-up). */
export function productImageRoutes(app: Parent, { images }: { images: ProductImagesController }): void {
  areaRouter(app, '/').get(`${IMAGES_PATH}/:imageId/:width`, images.getImage);
}
