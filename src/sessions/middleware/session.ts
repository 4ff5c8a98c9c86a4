import session, { type Store } from 'express-session';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../../platform/config';
import type { SessionCookie } from '../session-cookie';
import { toError } from '../session-promises';
import { runInTurn } from '../../http/run-in-turn';

/** express-session, run only where a request has a session or is about to begin one. */
export interface Sessions {
  /**
   * For every page: when the session cookie came, express-session, then `handlers` in turn (what
   * only a request with a session needs: the absolute timeout, the User, the cart's counts, the
   * CSRF token of a shopper's forms), as one middleware. A visitor without the cookie passes at the
   * cost of one test: express-session would make a session (a random id, a cookie object, two
   * response hooks) only to throw it away, as nothing is stored for visitors, and `req.session`
   * stays absent.
   */
  whenCookieSent(...handlers: RequestHandler[]): RequestHandler;
  /** For the one place a session begins (a login, accounts/login/login-flow.ts): the session, made now if there was none. */
  begin(req: Request, res: Response): Promise<void>;
}

/**
 * express-session over the MongoDB store, with the shop's cookie.
 *
 * During an outage the store's `get` fails with the driver's error as its cause, express-session
 * hands it to the error handler, and the shopper gets the 503 page. express-session would instead
 * serve requests without their session (a logged-in shopper as a visitor) while its store reports
 * 'disconnect'; the store never reports it (tests/reliability/database-outage.test.ts).
 */
export function sessionMiddleware(config: Config, store: Store, cookie: SessionCookie): Sessions {
  const middleware = session({
    name: cookie.name,
    // The first secret signs, all of them verify: secrets can be rotated without logging anyone out.
    secret: config.sessionSecrets,
    store,
    // Nothing is stored for visitors until something is put in their session (crawlers included).
    saveUninitialized: false,
    // An unchanged session is not written back; the store's throttled touch extends its expiry.
    resave: false,
    // The idle timeout: every response pushes the cookie's expiry forward.
    rolling: true,
    cookie: {
      ...cookie.options,
      maxAge: config.session.idleTimeoutMs,
    },
  });
  // A cheap test that may say yes too often (another cookie's name ending so), never no wrongly.
  const cookieSent = `${cookie.name}=`;
  return {
    whenCookieSent: (...handlers) => {
      const series = [middleware, ...handlers];
      return (req, res, next) => {
        if (req.headers.cookie?.includes(cookieSent)) runInTurn(series, req, res, next);
        else next();
      };
    },
    // express-session leaves a request that has a session as it is.
    begin: (req, res) =>
      new Promise((resolve, reject) => {
        middleware(req, res, (error?: unknown) => {
          if (error !== undefined) reject(toError(error));
          else if (req.session === undefined)
            reject(new Error('express-session made no session (its store is not ready)'));
          else resolve();
        });
      }),
  };
}
