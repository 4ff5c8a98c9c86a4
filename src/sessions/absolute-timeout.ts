import type { RequestHandler } from 'express';
import { destroySession } from './session-promises';
import type { SessionCookie } from './session-middleware';

/**
 * Ends a login that is older than the absolute timeout, however active it has been: a stolen
 * cookie is not good forever (OWASP Session Management). The start time lives in the session, on
 * the server, so the client cannot extend it. A login without a start time is treated as expired.
 */
export function absoluteTimeout(cookie: SessionCookie, timeoutMs: number): RequestHandler {
  return async (req, res, next) => {
    if (req.session?.isLoggedIn) {
      const startedAt = req.session.loggedInAt;
      if (typeof startedAt !== 'number' || Date.now() - startedAt > timeoutMs) {
        await destroySession(req);
        res.clearCookie(cookie.name, cookie.options);
      }
    }
    next();
  };
}
