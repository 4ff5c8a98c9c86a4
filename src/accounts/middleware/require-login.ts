import type { RequestHandler } from 'express';

export const requireLogin: RequestHandler = (req, res, next) => {
  if (!req.user) {
    // A page asked for by GET is worth coming back to after login; a form post is not.
    res.redirect(req.method === 'GET' ? `/login?returnTo=${encodeURIComponent(req.originalUrl)}` : '/login');
    return;
  }
  next();
};
