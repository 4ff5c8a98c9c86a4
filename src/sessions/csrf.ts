import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';
import { formField } from '../http/form-field';

/**
 * CSRF protection with the synchronizer-token pattern: the token lives in the session, and every
 * POST must send it back in the `_csrf` field or the `x-csrf-token` header (403 otherwise).
 *
 * A token is put in a session only when a page shows a form: the login and signup pages, and
 * every page of a logged-in shopper (the navigation's logout form). Anonymous browsing of the
 * shop therefore creates no session at all.
 */
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req) => {
    const fromForm = formField(req, '_csrf');
    if (typeof fromForm === 'string') return fromForm;
    const fromHeader = req.headers['x-csrf-token'];
    return typeof fromHeader === 'string' ? fromHeader : undefined;
  },
  // The session is gone after loadUser ended a stale one: no token then, so every POST fails.
  getTokenFromState: (req) => req.session?.csrfToken,
  storeTokenInState: (req, token) => {
    req.session.csrfToken = token;
  },
});

export const csrfProtection: RequestHandler = csrfSynchronisedProtection;

/** The session's token, creating it on first use; `replace` starts a new one (after login). */
export function csrfToken(req: Request, replace = false): string {
  return generateToken(req, replace);
}

/** For routes whose page has a form: `res.locals.csrfToken` for the view. */
export const provideCsrfToken: RequestHandler = (req, res, next) => {
  res.locals.csrfToken = csrfToken(req);
  next();
};

/** Every page of a logged-in shopper has a form (logout in the navigation). */
export const provideCsrfTokenToShoppers: RequestHandler = (req, res, next) => {
  if (req.user) res.locals.csrfToken = csrfToken(req);
  next();
};
