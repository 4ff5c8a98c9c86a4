import session, { type Store } from 'express-session';
import type { RequestHandler } from 'express';
import type { Config } from '../../platform/config';
import { DatabaseUnavailableError } from '../../platform/database/unavailable';
import { sessionCookie } from '../session-cookie';

/** express-session over the MongoDB store, with the shop's cookie. */
export function sessionMiddleware(config: Config, store: Store): RequestHandler {
  const cookie = sessionCookie(config);
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

  // While a store reports 'disconnect', express-session skips sessions and carries on: a
  // logged-in shopper would get pages as a visitor, and their next form would go to the login
  // page. Refuse such requests (503) until the store reports 'connect' again.
  let storeReady = true;
  store.on('disconnect', () => {
    storeReady = false;
  });
  store.on('connect', () => {
    storeReady = true;
  });
  return (req, res, next) => {
    if (storeReady) middleware(req, res, next);
    else next(new DatabaseUnavailableError('the session store is disconnected'));
  };
}
