import type { RequestHandler } from 'express';

/** Moves the session's flash messages (http/flash.ts) to `res.locals.flash` for the view about to render. */
export const showFlash: RequestHandler = (req, res, next) => {
  const messages = req.session?.flash;
  if (messages) {
    res.locals.flash = messages;
    delete req.session.flash;
  }
  next();
};
