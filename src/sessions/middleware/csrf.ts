import type { RequestHandler } from 'express';
import type { FormCheck } from '../../http/area-router';
import { HttpError } from '../../http/http-error';
import { isMultipart } from '../../http/upload';
import { csrfToken, verifySessionCsrfToken, type VisitorCsrf } from '../csrf';
import type { RefusedFormWarning } from '../insecure-request-warning';

/*
 * Every POST carries a CSRF token. A visitor's forms (login, signup) carry a double-submit token
 * that needs no session; every other form belongs to a logged-in shopper and carries the
 * session's synchronizer token. Anonymous browsing therefore creates no session at all.
 */

/** The checks the areas put on their forms (http/area-router.ts), made once per app. */
export interface FormChecks {
  /** A logged-in shopper's form: the session's synchronizer token, before anything else. */
  shopperForm: FormCheck;
  /** A visitor's form (login, signup...): the double-submit token of its cookie, before anything else. */
  visitorForm: FormCheck;
  /**
   * A shopper's form that may come as multipart/form-data (with a photo): sent so, its fields (the
   * token among them) are only read by `read`, after the area's guard (a visitor is sent to log in
   * before a byte of the body is read); its token is checked then. Sent urlencoded, it is checked first.
   */
  uploadForm(...read: RequestHandler[]): FormCheck;
  /** The page of a visitor's form: its token in `res.locals.visitorCsrfToken` (its cookie goes with the response). */
  visitorToken: RequestHandler;
  /**
   * Last, for a request with a body that no route took: the session's token, so that a forged
   * request gets 403 wherever it is sent (and a genuine one the 404 page). A multipart body is
   * never read here: its token is not found, and it is refused.
   */
  unmatched: RequestHandler;
}

/**
 * The CSRF checks of every form. A refusal tells `onRefused` which cookie the form needed (the
 * session's or the visitor's CSRF cookie), for the warning about a missing TRUST_PROXY.
 */
export function createFormChecks(
  visitorCsrf: VisitorCsrf,
  cookies: { session: string; onRefused: RefusedFormWarning },
): FormChecks {
  const sessionToken: RequestHandler = (req, res, next) => {
    verifySessionCsrfToken(req, res, (error?: unknown) => {
      if (error !== undefined) cookies.onRefused(req, cookies.session);
      next(error);
    });
  };
  const visitorToken: RequestHandler = (req, res, next) => {
    if (visitorCsrf.verify(req, res)) next();
    else {
      cookies.onRefused(req, visitorCsrf.cookieName);
      next(new HttpError(403, 'invalid csrf token'));
    }
  };
  // isMultipart is the multipart reader's own test: the two never disagree on which form is whose.
  const unlessMultipart: RequestHandler = (req, res, next) => {
    if (isMultipart(req)) next();
    else sessionToken(req, res, next);
  };
  const onceRead: RequestHandler = (req, res, next) => {
    if (isMultipart(req)) sessionToken(req, res, next);
    else next();
  };
  return {
    shopperForm: { first: sessionToken, afterGuard: [] },
    visitorForm: { first: visitorToken, afterGuard: [] },
    uploadForm: (...read) => ({ first: unlessMultipart, afterGuard: [...read, onceRead] }),
    visitorToken: (req, res, next) => {
      res.locals.visitorCsrfToken = visitorCsrf.token(req, res);
      next();
    },
    unmatched: sessionToken,
  };
}

/** Every page of a logged-in shopper has a form (logout in the navigation). */
export const provideCsrfTokenToShoppers: RequestHandler = (req, res, next) => {
  if (req.user) res.locals.csrfToken = csrfToken(req);
  next();
};
