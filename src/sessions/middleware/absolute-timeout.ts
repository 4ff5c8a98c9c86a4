import type { RequestHandler } from 'express';
import type { Clock } from '../../platform/clock';
import { destroySession } from '../session-promises';
import type { SessionCookie } from '../session-cookie';
import { loggedInSessionUser } from '../login';
import type { SecurityLog } from '../security-log';

/**
 * Ends a login that is older than the absolute timeout, however active it has been: a stolen
 * cookie is not good forever (OWASP Session Management). The start time lives in the session, on
 * the server, so the client cannot extend it. A login without a start time is treated as expired.
 */
export function absoluteTimeout(options: {
  cookie: SessionCookie;
  timeoutMs: number;
  now: Clock;
  securityLog: SecurityLog;
}): RequestHandler {
  const { cookie, timeoutMs, now, securityLog } = options;
  return async (req, res, next) => {
    const sessionUser = loggedInSessionUser(req);
    if (sessionUser) {
      const startedAt = req.session.loggedInAt;
      if (typeof startedAt !== 'number' || now() - startedAt > timeoutMs) {
        securityLog.event(req, 'session-refused', { userId: sessionUser._id, reason: 'absolute timeout' });
        await destroySession(req);
        res.clearCookie(cookie.name, cookie.options);
      }
    }
    next();
  };
}
