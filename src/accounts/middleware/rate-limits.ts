import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { slowDown } from 'express-slow-down';
import type { Config } from '../../platform/config';
import { rateLimiter, type RateLimitContext } from '../../http/middleware/rate-limit';
import { ACCOUNT_PATH } from '../account.routes';
import { LOGIN_PATH, RESET_PATH, SIGNUP_PATH } from '../auth.routes';

/*
 * Brute-force limits on the forms where guessing is possible, per address and per account.
 *
 * Failed logins never lock the owner out. A hard limit counts failures per account *and* address:
 * an attacker guessing from their own address is stopped there, the owner elsewhere is not. Across
 * all addresses an account's failures slow its logins down (a growing delay, capped), which costs
 * an attacker with many addresses time without closing the door on the owner; a password reset
 * clears that count (`forgetFailedLogins`).
 *
 * The counters live in MongoDB (http/rate-limit-store.ts), shared by every shop process: N
 * processes count together and a restart forgets nothing. The limiters read `req.body`, so they
 * run after the body parsers.
 */

export interface AuthRateLimits {
  /** POST /login: per address, per account and address, and the account's slow-down. */
  login: RequestHandler[];
  /** POST /signup. */
  signup: RequestHandler[];
  /** POST /reset: per address and per account (each asks for a mail to that account). */
  reset: RequestHandler[];
  /** POST /new-password: per address. */
  newPassword: RequestHandler[];
  /** The account forms that ask for the current password (change it, change the email, delete). */
  currentPassword: RequestHandler[];
  /** POST /account/verify-email: sending the confirmation link again. */
  resendVerification: RequestHandler[];
  /** After a password reset: the account's failed logins are forgotten. */
  forgetFailedLogins(email: string): Promise<void>;
}

/** The account a form is for: the email as typed, trimmed and lowercased; only strings. */
function accountOf(req: Request): string | undefined {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const email = (body as Record<string, unknown>).email;
  if (typeof email !== 'string') return undefined;
  const normalized = email.trim().toLowerCase();
  return normalized === '' ? undefined : normalized;
}

/** Delay added per failed login past the account's limit, and the most it grows to. */
const SLOWDOWN_STEP_MS = 250;
const SLOWDOWN_MAX_MS = 5_000;

/** The limiters of one app, counting in the shared counters. */
export function createAuthRateLimits({ rateLimit: limits }: Config, context: RateLimitContext): AuthRateLimits {
  const accountSlowDown = slowDown({
    identifier: 'login-account-slowdown',
    store: context.counters.store('login-account-slowdown'),
    logger: context.logger.child({ component: 'rate-limit', limit: 'login-account-slowdown' }),
    windowMs: limits.login.windowMs,
    delayAfter: limits.login.perAccount,
    delayMs: (used) => (used - limits.login.perAccount) * SLOWDOWN_STEP_MS,
    maxDelayMs: SLOWDOWN_MAX_MS,
    skipSuccessfulRequests: true,
    skip: (req) => accountOf(req) === undefined,
    keyGenerator: (req) => accountOf(req) ?? '',
  });
  const perShopper = (identifier: string, retryPath: string) =>
    rateLimiter(context, {
      identifier,
      limit: limits.login.perAccount,
      windowMs: limits.login.windowMs,
      skipSuccessfulRequests: true,
      keyGenerator: (req) => req.user?._id.toHexString() ?? '',
      retryPath,
    });
  return {
    login: [
      // The default key is the client address (`req.ip`, IPv6 grouped by /56 through ipKeyGenerator),
      // so `trust proxy` must be right behind a proxy. Every attempt counts: one address trying many
      // accounts is what this catches.
      rateLimiter(context, {
        identifier: 'login-ip',
        limit: limits.login.perIp,
        windowMs: limits.login.windowMs,
        retryPath: LOGIN_PATH,
      }),
      // Failures only (a successful login redirects, status 302), per account from one address.
      rateLimiter(context, {
        identifier: 'login-account-address',
        limit: limits.login.perAccount,
        windowMs: limits.login.windowMs,
        skipSuccessfulRequests: true,
        skip: (req) => accountOf(req) === undefined,
        // The address as express-rate-limit keys it (IPv6 grouped by /56), beside the account.
        keyGenerator: (req) => `${accountOf(req) ?? ''} ${ipKeyGenerator(req.ip ?? '')}`,
        retryPath: LOGIN_PATH,
      }),
      accountSlowDown,
    ],
    signup: [
      rateLimiter(context, {
        identifier: 'signup-ip',
        limit: limits.signup.perIp,
        windowMs: limits.signup.windowMs,
        retryPath: SIGNUP_PATH,
      }),
    ],
    reset: [
      rateLimiter(context, {
        identifier: 'reset-ip',
        limit: limits.reset.perIp,
        windowMs: limits.reset.windowMs,
        retryPath: RESET_PATH,
      }),
      rateLimiter(context, {
        identifier: 'reset-account',
        limit: limits.reset.perAccount,
        windowMs: limits.reset.windowMs,
        skip: (req) => accountOf(req) === undefined,
        keyGenerator: (req) => accountOf(req) ?? '',
        retryPath: RESET_PATH,
      }),
    ],
    newPassword: [
      rateLimiter(context, {
        identifier: 'new-password-ip',
        limit: limits.reset.perIp,
        windowMs: limits.reset.windowMs,
        retryPath: RESET_PATH,
      }),
    ],
    currentPassword: [perShopper('account-password', ACCOUNT_PATH)],
    resendVerification: [
      rateLimiter(context, {
        identifier: 'verify-resend',
        limit: limits.reset.perAccount,
        windowMs: limits.reset.windowMs,
        keyGenerator: (req) => req.user?._id.toHexString() ?? '',
        retryPath: ACCOUNT_PATH,
      }),
    ],
    forgetFailedLogins: async (email) => {
      await accountSlowDown.resetKey(email.trim().toLowerCase());
    },
  };
}
