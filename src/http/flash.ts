import type { Request, RequestHandler } from 'express';
import type { FlashMessage } from './flash-message';

/**
 * Flash messages: a result told on the page after a redirect ("Password changed"). They are
 * kept in the session between the two requests and shown once.
 *
 * Only the request that shows them writes the session again; pages without a message leave it
 * unchanged (no session write on an ordinary page view).
 */
export function flash(req: Request, type: FlashMessage['type'], text: string): void {
  req.session.flash = [...(req.session.flash ?? []), { type, text }];
}

/** Moves the session's messages to `res.locals.flash` for the view about to render. */
export const showFlash: RequestHandler = (req, res, next) => {
  const messages = req.session?.flash;
  if (messages) {
    res.locals.flash = messages;
    delete req.session.flash;
  }
  next();
};
