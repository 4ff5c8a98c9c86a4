import type { RequestHandler } from 'express';
import { notFound } from '../../http/http-error';
import type { Admins } from '../admins';

/**
 * Admin-only routes answer anyone else as if they did not exist (404): no login page, no 403, no
 * hint. Mounted after requireLogin or on its own (a visitor is no admin either).
 */
export function requireAdmin(admins: Admins): RequestHandler {
  return (req, _res, next) => {
    next(admins.isAdminRequest(req) ? undefined : notFound());
  };
}

/** `isAdmin` for the navigation, from the User loadUser has. */
export function provideAdminLocals(admins: Admins): RequestHandler {
  return (req, res, next) => {
    res.locals.isAdmin = admins.isAdminRequest(req);
    next();
  };
}
