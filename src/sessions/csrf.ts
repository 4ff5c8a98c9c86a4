import type { Request, Response } from 'express';
import { csrfSync } from 'csrf-sync';
import { doubleCsrf } from 'csrf-csrf';
import cookieParser from 'cookie-parser';
import { formField } from '../http/form-field';

/** The token a form or a script sent: the `_csrf` field, or the `x-csrf-token` header. */
function tokenSentWith(req: Request): string | undefined {
  const fromForm = formField(req, '_csrf');
  if (typeof fromForm === 'string') return fromForm;
  const fromHeader = req.headers['x-csrf-token'];
  return typeof fromHeader === 'string' ? fromHeader : undefined;
}

/**
 * A logged-in shopper's forms: the synchronizer-token pattern (csrf-sync). The token lives in the
 * session, created at login, and every POST must send it back.
 */
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: tokenSentWith,
  // The session is gone after loadUser ended a stale one: no token then, so every POST fails.
  getTokenFromState: (req) => req.session?.csrfToken,
  storeTokenInState: (req, token) => {
    req.session.csrfToken = token;
  },
});

/** The middleware/csrf.ts check of a shopper's POSTs. */
export const verifySessionCsrfToken = csrfSynchronisedProtection;

/** The session's token, creating it on first use; `replace` starts a new one (after login). */
export function csrfToken(req: Request, replace = false): string {
  return generateToken(req, replace);
}

export interface VisitorCsrf {
  /** The cookie that carries the visitor's random value (`__Host-csrf` in production). */
  cookieName: string;
  /** A token for a visitor's form; its cookie goes out with the response. */
  token(req: Request, res: Response): string;
  /** Whether a POST carries the token of its own cookie. */
  verify(req: Request, res: Response): boolean;
}

/**
 * A visitor's forms (login, signup): the signed double-submit pattern (csrf-csrf), which needs no
 * server-side state, so a visitor who only looks at the login page leaves no session document
 * behind. The token is an HMAC under the session secret of a random value; the random value goes
 * to the visitor in an HttpOnly, SameSite=Strict cookie (`__Host-` in production), and the form
 * must send the same token back. A cross-site page can neither read the cookie nor make the
 * browser send it with its POST.
 */
export function createVisitorCsrf(options: { secrets: string[]; isProduction: boolean }): VisitorCsrf {
  const cookieName = options.isProduction ? '__Host-csrf' : 'csrf';
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => options.secrets,
    // The visit itself is the cookie: there is no session to bind to before login.
    getSessionIdentifier: () => '',
    cookieName,
    cookieOptions: { sameSite: 'strict', path: '/', secure: options.isProduction, httpOnly: true },
    getCsrfTokenFromRequest: tokenSentWith,
  });
  // Only a visitor's form needs the request's cookies parsed: done here rather than on every request.
  const parseCookies = cookieParser(options.secrets);
  const withCookies = (req: Request, res: Response): void => {
    if (req.cookies === undefined) parseCookies(req, res, () => {});
  };
  return {
    cookieName,
    token: (req, res) => {
      withCookies(req, res);
      return generateCsrfToken(req, res);
    },
    verify: (req, res) => {
      withCookies(req, res);
      return validateRequest(req);
    },
  };
}
