import type { RequestHandler } from 'express';
import { HttpError } from '../../http/http-error';
import { isMultipart } from '../../http/upload';
import { csrfToken, verifySessionCsrfToken, type VisitorCsrf } from '../csrf';
import type { RefusedFormWarning } from '../insecure-request-warning';

/*
 * Every POST carries a CSRF token. A visitor's forms (login, signup) carry a double-submit token
 * that needs no session; every other form belongs to a logged-in shopper and carries the
 * session's synchronizer token. Anonymous browsing therefore creates no session at all.
 */

/**
 * Every POST: a missing or wrong token is a 403. `visitorPaths` are the visitor's forms. A refusal
 * tells `onRefused` which cookie the form needed (the session's or the visitor's CSRF cookie).
 * `multipartPaths` are forms that may also come as multipart/form-data, whose fields (the token
 * among them) are only read by their route, after its login check: sent so, they are left to
 * `verifyCsrfAfterUpload` there. Any other multipart POST is checked here, has no token in its
 * unread body, and is refused.
 */
export function csrfProtection(
  visitorCsrf: VisitorCsrf,
  visitorPaths: readonly string[],
  cookies: { session: string; visitor: string; onRefused: RefusedFormWarning },
  multipartPaths: readonly string[] = [],
): RequestHandler {
  const visitorForms = new Set(visitorPaths);
  const multipartForms = new Set(multipartPaths);
  return (req, res, next) => {
    if (req.method === 'POST' && multipartForms.has(req.path) && isMultipart(req)) {
      next();
      return;
    }
    if (req.method !== 'POST' || !visitorForms.has(req.path)) {
      verifySessionCsrfToken(req, res, (error?: unknown) => {
        if (error !== undefined) cookies.onRefused(req, cookies.session);
        next(error);
      });
      return;
    }
    if (visitorCsrf.verify(req, res)) next();
    else {
      cookies.onRefused(req, cookies.visitor);
      next(new HttpError(403, 'invalid csrf token'));
    }
  };
}

/**
 * On a route of `multipartPaths`, once the multipart form has been read: its token is checked as
 * any other form's. (A form sent urlencoded was checked by csrfProtection already.)
 */
export const verifyCsrfAfterUpload: RequestHandler = (req, res, next) => {
  if (isMultipart(req)) verifySessionCsrfToken(req, res, next);
  else next();
};

/** For the pages with a visitor's form: `res.locals.visitorCsrfToken` for the view. */
export function provideVisitorCsrfToken(visitorCsrf: VisitorCsrf): RequestHandler {
  return (req, res, next) => {
    res.locals.visitorCsrfToken = visitorCsrf.token(req, res);
    next();
  };
}

/** Every page of a logged-in shopper has a form (logout in the navigation). */
export const provideCsrfTokenToShoppers: RequestHandler = (req, res, next) => {
  if (req.user) res.locals.csrfToken = csrfToken(req);
  next();
};
