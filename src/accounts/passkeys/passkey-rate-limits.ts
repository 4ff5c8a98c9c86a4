import type { Request, RequestHandler } from 'express';
import type { Config } from '../../platform/config';
import { rateLimiter, type RateLimitContext } from '../../http/middleware/rate-limit';
import { LOGIN_PATH } from '../auth.routes';

export interface PasskeyLoginLimits {
  /** POST /login/passkey/options: every request per address. */
  options: RequestHandler[];
  /** POST /login/passkey: every attempt per address, as the password's; refused passkeys per credential. */
  login: RequestHandler[];
}

/** The credential a login names (its id as sent; only a string). */
function credentialOf(req: Request): string | undefined {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const id = (body as Record<string, unknown>).id;
  return typeof id === 'string' && id.length > 0 ? id.slice(0, 200) : undefined;
}

/**
 * The passkey login's limits, with the login form's numbers (LOGIN_RATE_LIMIT_*), in the shared
 * counters. An assertion cannot be guessed as a password can; these bound what one address may
 * make the shop verify, and how often one passkey may be refused (a copied authenticator, replays).
 */
export function createPasskeyLoginLimits({ rateLimit: limits }: Config, context: RateLimitContext): PasskeyLoginLimits {
  const { perIp, perAccount, windowMs } = limits.login;
  return {
    options: [
      rateLimiter(context, { identifier: 'passkey-options-ip', limit: perIp, windowMs, retryPath: LOGIN_PATH }),
    ],
    login: [
      rateLimiter(context, { identifier: 'passkey-login-ip', limit: perIp, windowMs, retryPath: LOGIN_PATH }),
      rateLimiter(context, {
        identifier: 'passkey-login-credential',
        limit: perAccount,
        windowMs,
        skipSuccessfulRequests: true,
        skip: (req) => credentialOf(req) === undefined,
        keyGenerator: (req) => credentialOf(req) ?? '',
        retryPath: LOGIN_PATH,
      }),
    ],
  };
}
