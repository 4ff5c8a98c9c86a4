import type { RequestHandler } from 'express';
import type { Clock } from '../../platform/clock';
import { destroySession } from '../session-promises';
import type { SessionCookie } from '../session-cookie';
import { loggedInSessionUser } from '../login';

/**
 * Ends a login that is older than the absolute timeout, however active it has been: a stolen
 * cookie is not good forever (OWASP Session Management). The start time lives in the session, on
 * the server, so the client cannot extend it. A login without a start time is treated as expired.
 */
export function absoluteTimeout(options: { cookie: SessionCookie; timeoutMs: number; now: Clock }): RequestHandler {
  const { cookie, timeoutMs, now } = options;
  return async (req, res, next) => {
    if (loggedInSessionUser(req)) {
      const startedAt = req.session.loggedInAt;
      if (typeof startedAt !== 'number' || now() - startedAt > timeoutMs) {
        await destroySession(req);
        res.clearCookie(cookie.name, cookie.options);
      }
    }
    next();
  };
}
