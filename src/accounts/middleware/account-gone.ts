import type { ErrorRequestHandler } from 'express';
import { destroySession } from '../../sessions/session-promises';
import type { SessionCookie } from '../../sessions/session-cookie';
import type { SecurityLog } from '../../sessions/security-log';
import { AccountGoneError } from '../account-gone';
import { LOGIN_PATH } from '../auth.routes';

/**
 * Before the error handler: a request whose account was deleted meanwhile (AccountGoneError) ends
 * its session as loadUser would have, and goes to the login page, never to an error page.
 */
export function accountGone({ cookie, securityLog }: { cookie: SessionCookie; securityLog: SecurityLog }) {
  const handler: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (!(error instanceof AccountGoneError) || res.headersSent) {
      next(error);
      return;
    }
    securityLog.event(req, 'session-refused', { userId: req.user?._id.toHexString(), reason: 'user gone' });
    destroySession(req).then(() => {
      res.clearCookie(cookie.name, cookie.options);
      res.redirect(LOGIN_PATH);
    }, next);
  };
  return handler;
}
