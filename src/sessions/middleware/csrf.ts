import type { RequestHandler } from 'express';
import { csrfToken, verifyCsrfToken } from '../csrf';

/*
 * A token is put in a session only when a page shows a form: the login and signup pages, and
 * every page of a logged-in shopper (the navigation's logout form). Anonymous browsing of the
 * shop therefore creates no session at all.
 */

/** Every POST: a missing or wrong token is a 403. */
export const csrfProtection: RequestHandler = verifyCsrfToken;

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
