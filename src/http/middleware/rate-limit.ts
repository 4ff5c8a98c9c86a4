import type { Request, RequestHandler } from 'express';
import { rateLimit, type Options } from 'express-rate-limit';
import { TooManyRequestsError } from '../http-error';
import type { Logger } from '../../platform/logger';
import type { RateLimitCounters } from '../rate-limit-store';

export type RateLimitOptions = Partial<Omit<Options, 'store' | 'logger'>> &
  Pick<Options, 'identifier' | 'limit' | 'windowMs'> & {
    identifier: string;
    /** The form to go back to from the 429 page. */
    retryPath: string;
  };

/** Where every limit counts (shared by the shop's processes), and where its warnings go. */
export interface RateLimitContext {
  counters: RateLimitCounters;
  logger: Logger;
}

/**
 * A limit with the IETF draft-8 RateLimit headers plus Retry-After (no X-RateLimit-* headers),
 * counted in MongoDB under its `identifier`. Past the limit the request fails with a
 * TooManyRequestsError, which the error handler renders.
 */
export function rateLimiter({ counters, logger }: RateLimitContext, options: RateLimitOptions): RequestHandler {
  const { retryPath, ...limitOptions } = options;
  return rateLimit({
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...limitOptions,
    store: counters.store(options.identifier),
    // Its configuration warnings (such as X-Forwarded-For without TRUST_PROXY) as log lines.
    logger: logger.child({ component: 'rate-limit', limit: options.identifier }),
    handler: (_req: Request, res, next) => {
      // The library has set Retry-After (in seconds) already.
      next(new TooManyRequestsError(Number(res.getHeader('Retry-After')) || 60, retryPath));
    },
  });
}
