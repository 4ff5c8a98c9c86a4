import session, { type Store } from 'express-session';
import type { RequestHandler } from 'express';
import type { Config } from '../../platform/config';
import type { SessionCookie } from '../session-cookie';

/**
 * express-session over the MongoDB store, with the shop's cookie.
 *
 * During an outage the store's `get` fails with the driver's error as its cause, express-session
 * hands it to the error handler, and the shopper gets the 503 page. express-session would instead
 * serve requests without their session (a logged-in shopper as a visitor) while its store reports
 * 'disconnect'; the store never reports it (tests/reliability/database-outage.test.ts).
 */
export function sessionMiddleware(config: Config, store: Store, cookie: SessionCookie): RequestHandler {
  return session({
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
}
