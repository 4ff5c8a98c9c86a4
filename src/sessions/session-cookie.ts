import type { CookieOptions } from 'express';
import type { Config } from '../platform/config';

export interface SessionCookie {
  name: string;
  options: CookieOptions;
}

/**
 * The session cookie's name and attributes. In production the `__Host-` prefix makes the
 * browser refuse the cookie unless it is Secure, host-only and for path `/`.
 * Logout and the end of a stale session clear the cookie with these same attributes.
 */
export function sessionCookie(config: Config): SessionCookie {
  return {
    name: config.isProduction ? '__Host-sid' : 'sid',
    options: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: config.isProduction,
    },
  };
}
