import type { RequestHandler } from 'express';
import { body } from 'express-validator';
import { multipartForm } from '../http/middleware/multipart-form';
import { MAX_IMAGE_BYTES } from './photo-checks';
import { MAX_STOCK } from './product.model';
import { PHOTOS_BUSY_MESSAGE, PHOTO_RETRY_AFTER_SECONDS, type PhotoQueue } from './photo-queue';

export const MAX_PRICE = 1_000_000;

const STOCK_RULE = `Enter the units you have, a whole number from 0 to ${MAX_STOCK.toLocaleString('en-US')}, or leave it empty if you do not count them.`;

/**
 * The stock field as typed: empty means "not tracked" (null), a whole number the units; undefined
 * when the form has no such field (the course's four fields: an edit then keeps the product's).
 * Only call once the rules passed.
 */
export function stockOf(value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') return null;
  return Number(value.trim());
}

/** An empty address (the placeholder image is shown), an http(s) URL, or a path on this site. */
function isImageAddress(value: string): boolean {
  if (value === '') return true;
  // "//host/x" is a protocol-relative URL to another site, not a local path.
  if (/^\/(?!\/)\S*$/.test(value)) return true;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export const productRules = [
  body('title')
    .isString()
    .withMessage('Enter a title.')
    .bail()
    .trim()
    .notEmpty()
    .withMessage('Enter a title.')
    .isLength({ max: 200 })
    .withMessage('Use at most 200 characters.'),
  body('price')
    .isString()
    .withMessage('Enter a price.')
    .bail()
    .trim()
    .matches(/^\d+(\.\d{1,2})?$/)
    .withMessage('Enter a price such as 12 or 12.99 (at most two decimals).')
    .bail()
    .custom((value: string) => Number(value) > 0 && Number(value) <= MAX_PRICE)
    .withMessage(`Enter a price above 0 and at most ${MAX_PRICE.toLocaleString('en-US')}.`),
  body('description')
    .isString()
    .withMessage('Enter a description.')
    .bail()
    .trim()
    .notEmpty()
    .withMessage('Enter a description.')
    .isLength({ max: 2000 })
    .withMessage('Use at most 2000 characters.'),
  body('imageUrl')
    .default('')
    .isString()
    .withMessage('Enter an image address or leave it empty.')
    .bail()
    .trim()
    .isLength({ max: 2000 })
    .withMessage('That address is too long.')
    .custom(isImageAddress)
    .withMessage('Enter an http(s) address, a path such as /images/x.png, or leave it empty.'),
  // Digits only: no sign, no decimals, no exponent ("1e3"), at most MAX_STOCK.
  body('stock')
    .optional()
    .isString()
    .withMessage(STOCK_RULE)
    .bail()
    .trim()
    .custom((value: string) => value === '' || (/^\d{1,6}$/.test(value) && Number(value) <= MAX_STOCK))
    .withMessage(STOCK_RULE),
];

/**
 * The add and edit forms may come as multipart/form-data with a photo in `image` (at most one, of
 * at most 5 MB). Their text fields are few and short: the description, the longest, is 2000
 * characters (up to 8 kB of UTF-8). A photo is read into memory only while the queue that will
 * decode it has a place for it; otherwise the form is shown again, 503, asking for it later.
 */
export function productUpload(queue: PhotoQueue): RequestHandler {
  return multipartForm({
    fileField: 'image',
    maxFileBytes: MAX_IMAGE_BYTES,
    maxFileText: '5 MB',
    maxFields: 9,
    maxFieldBytes: 10 * 1024,
    maxBodyBytes: 25 * 1024 * 1024,
    filePlaces: {
      take: () => queue.hold(),
      busy: { status: 503, retryAfterSeconds: PHOTO_RETRY_AFTER_SECONDS, message: PHOTOS_BUSY_MESSAGE, about: 'file' },
    },
  });
}
