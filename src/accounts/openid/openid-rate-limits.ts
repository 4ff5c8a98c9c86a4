import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Config } from '../../platform/config';
import { rateLimiter, type RateLimitContext } from '../../http/middleware/rate-limit';
import { LOGIN_PATH } from '../auth.routes';

export interface OpenIdRateLimits {
  /**
   * POST /login/oidc/link, like the login: every attempt per address, and wrong passwords per
   * account (the pending link's address, from its sealed cookie, never from the form) and address.
   */
  link: RequestHandler[];
}

/** The account a linking form is for, as `pendingLinkLocals` put it from the sealed cookie. */
function pendingAccountOf(res: Response): string | undefined {
  const email: unknown = res.locals.openIdPendingEmail;
  return typeof email === 'string' ? email : undefined;
}

export function createOpenIdRateLimits({ rateLimit: limits }: Config, context: RateLimitContext): OpenIdRateLimits {
  return {
    link: [
      rateLimiter(context, {
        identifier: 'oidc-link-ip',
        limit: limits.login.perIp,
        windowMs: limits.login.windowMs,
        retryPath: LOGIN_PATH,
      }),
      rateLimiter(context, {
        identifier: 'oidc-link-account-address',
        limit: limits.login.perAccount,
        windowMs: limits.login.windowMs,
        // Failures only: a right password redirects (302), a wrong one is the 422 form.
        skipSuccessfulRequests: true,
        skip: (_req: Request, res: Response) => pendingAccountOf(res) === undefined,
        keyGenerator: (req: Request, res: Response) => `${pendingAccountOf(res) ?? ''} ${ipKeyGenerator(req.ip ?? '')}`,
        retryPath: LOGIN_PATH,
      }),
    ],
  };
}
