import { PLACEHOLDER_IMAGE } from '../http/view-helpers';
import type { IProduct } from './product.model';
import { imagePath } from './product-images.service';
import { isOutOfStock, stockLabel } from './stock-label';

/** What an `<img>` of a product needs. */
export interface ProductPicture {
  src: string;
  /** Only for an uploaded photo: each stored width, for the browser to choose. */
  srcset?: string;
  sizes?: string;
  width: number;
  height: number;
}

/**
 * How wide a product's image is shown (main.css): on a phone (up to 40rem) a card lies on its side
 * with a 7rem picture; wider, a card is a column of the grid (two columns, three from about 56rem,
 * and the page stops growing at 70rem). The product page's image is the full width, then half of it
 * from 48rem.
 */
const SIZES = {
  card: '(max-width: 40rem) 7rem, (min-width: 72rem) 23rem, (min-width: 56rem) 33vw, 50vw',
  detail: '(min-width: 72rem) 34rem, (min-width: 48rem) 50vw, 100vw',
} as const;

/** The size written on an image given by address: the shop's 4:3 frame (its real size is unknown). */
const FRAME = { width: 400, height: 300 };

/**
 * A product's image for a card or the product page: its uploaded photo (every stored width in
 * `srcset`, its real proportions in width and height), else the image address typed in the form,
 * else the placeholder.
 */
export function pictureOf(product: Pick<IProduct, 'imageUrl' | 'image'>, use: keyof typeof SIZES): ProductPicture {
  const { image } = product;
  if (!image || image.widths.length === 0) return { src: product.imageUrl || PLACEHOLDER_IMAGE, ...FRAME };
  const widths = image.widths;
  // For a browser that ignores srcset: the smallest for a card, the next for the product page.
  const fallback = use === 'card' ? widths[0] : widths[Math.min(1, widths.length - 1)];
  return {
    src: imagePath(image.id, fallback),
    srcset: widths.map((width) => `${imagePath(image.id, width)} ${width}w`).join(', '),
    sizes: SIZES[use],
    width: image.width,
    height: image.height,
  };
}

/** The catalog's helpers for every view (app.locals). */
export const catalogViewHelpers = { pictureOf, stockLabel, isOutOfStock };
