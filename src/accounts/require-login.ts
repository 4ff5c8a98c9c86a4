import type { Request, RequestHandler } from 'express';
import type { UserDocument } from './user.model';

export const requireLogin: RequestHandler = (req, res, next) => {
  if (!req.user) {
    // A page asked for by GET is worth coming back to after login; a form post is not.
    res.redirect(req.method === 'GET' ? `/login?returnTo=${encodeURIComponent(req.originalUrl)}` : '/login');
    return;
  }
  next();
};

/** The logged-in shopper, for handlers mounted behind `requireLogin`. */
export function loggedInUser(req: Request): UserDocument {
  if (!req.user) throw new Error('loggedInUser() used on a route without requireLogin');
  return req.user;
}
