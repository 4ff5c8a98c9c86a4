import type { RequestHandler } from 'express';
import { LOGIN_PATH } from '../auth.routes';

export const requireLogin: RequestHandler = (req, res, next) => {
  if (!req.user) {
    // A page asked for by GET is worth coming back to after login; a form post is not.
    res.redirect(req.method === 'GET' ? `${LOGIN_PATH}?returnTo=${encodeURIComponent(req.originalUrl)}` : LOGIN_PATH);
    return;
  }
  next();
};
