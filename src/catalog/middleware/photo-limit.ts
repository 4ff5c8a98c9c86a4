import type { RequestHandler } from 'express';
import type { Config } from '../../platform/config';
import { rateLimiter, type RateLimitContext } from '../../http/middleware/rate-limit';
import { ADMIN_PRODUCTS_PATH } from '../admin.routes';

/**
 * Product forms sent as multipart (with a photo, or able to carry one) per shopper and window.
 * Each photo costs a decode and three encodes (about 0.2–0.4 s of CPU), so a shopper who keeps
 * uploading could keep a process busy for everyone; the count runs before the body is read, and
 * a form without a photo (urlencoded) is not counted.
 */
export function photoUploadLimit({ rateLimit: limits }: Config, context: RateLimitContext): RequestHandler {
  return rateLimiter(context, {
    identifier: 'product-photos',
    limit: limits.photos.perShopper,
    windowMs: limits.photos.windowMs,
    skip: (req) => !req.user || req.is('multipart/form-data') !== 'multipart/form-data',
    keyGenerator: (req) => req.user?._id.toHexString() ?? '',
    retryPath: ADMIN_PRODUCTS_PATH,
  });
}
