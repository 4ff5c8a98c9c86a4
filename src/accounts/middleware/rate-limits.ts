import type { Request, RequestHandler } from 'express';
import type { Config } from '../../platform/config';
import { rateLimiter } from '../../http/middleware/rate-limit';

/*
 * Brute-force limits on the login, signup and password-change forms, per address and per account.
 *
 * The counters live in express-rate-limit's default MemoryStore, one per app. That is enough for
 * one process: they are counters, not sessions, so a restart only forgets how many attempts were
 * made. Several processes behind a load balancer would each count alone; a shared store is the
 * step for that setup.
 *
 * The limiters read `req.body`, so they must run after the body parsers (src/app.ts mounts the
 * routes after them).
 */

export interface AuthRateLimits {
  /** For POST /login: per address first, then per account. */
  login: RequestHandler[];
  /** For POST /signup. */
  signup: RequestHandler[];
  /** For POST /account/password: guessing the current password with a stolen session. */
  passwordChange: RequestHandler[];
}

/** The account a login is for: the email as the shopper typed it, trimmed and lowercased; only strings. */
function accountOf(req: Request): string | undefined {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const email = (body as Record<string, unknown>).email;
  if (typeof email !== 'string') return undefined;
  const normalized = email.trim().toLowerCase();
  return normalized === '' ? undefined : normalized;
}

/** Fresh limiters (with fresh counters) for one app. */
export function createAuthRateLimits({ rateLimit: limits }: Config): AuthRateLimits {
  return {
    login: [
      // The default key is the client address (`req.ip`, IPv6 grouped by /56 through ipKeyGenerator),
      // so `trust proxy` must be right behind a proxy. Every attempt counts: one address trying many
      // accounts is what this catches.
      rateLimiter({
        identifier: 'login-ip',
        limit: limits.login.perIp,
        windowMs: limits.login.windowMs,
        retryPath: '/login',
      }),
      // Only failures count (a successful login redirects, status 302): the owner who gets in is not
      // slowed down, while guessing one account's password from many addresses is.
      rateLimiter({
        identifier: 'login-account',
        limit: limits.login.perAccount,
        windowMs: limits.login.windowMs,
        skipSuccessfulRequests: true,
        skip: (req) => accountOf(req) === undefined,
        keyGenerator: (req) => accountOf(req) ?? '',
        retryPath: '/login',
      }),
    ],
    signup: [
      rateLimiter({
        identifier: 'signup-ip',
        limit: limits.signup.perIp,
        windowMs: limits.signup.windowMs,
        retryPath: '/signup',
      }),
    ],
    passwordChange: [
      // Per shopper (the route needs a login), failures only, with the login's per-account limit.
      rateLimiter({
        identifier: 'password-change-account',
        limit: limits.login.perAccount,
        windowMs: limits.login.windowMs,
        skipSuccessfulRequests: true,
        keyGenerator: (req) => req.user?._id.toHexString() ?? '',
        retryPath: '/account/password',
      }),
    ],
  };
}
