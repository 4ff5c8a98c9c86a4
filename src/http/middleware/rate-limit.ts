import type { Request, RequestHandler } from 'express';
import { rateLimit, type Options } from 'express-rate-limit';
import { TooManyRequestsError } from '../http-error';

export type RateLimitOptions = Partial<Options> &
  Pick<Options, 'identifier' | 'limit' | 'windowMs'> & {
    /** The form to go back to from the 429 page. */
    retryPath: string;
  };

/**
 * A limit with the IETF draft-8 RateLimit headers plus Retry-After (no X-RateLimit-* headers).
 * Past the limit the request fails with a TooManyRequestsError, which the error handler renders.
 */
export function rateLimiter({ retryPath, ...options }: RateLimitOptions): RequestHandler {
  return rateLimit({
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...options,
    handler: (_req: Request, res, next) => {
      // The library has set Retry-After (in seconds) already.
      next(new TooManyRequestsError(Number(res.getHeader('Retry-After')) || 60, retryPath));
    },
  });
}
