import type { RequestHandler } from 'express';
import type { UserDocument, UserModel } from '../user.schema';
import { parseObjectId } from '../../http/object-id';
import { destroySession } from '../../sessions/session-promises';
import type { SessionCookie } from '../../sessions/session-cookie';
import type { MongoSessionStore } from '../../sessions/mongo-session-store';
import type { SecurityLog } from '../../sessions/security-log';
import { loggedInSessionUser } from '../../sessions/login';

export interface LoadUserOptions {
  /** The User model (src/user.model.ts): its documents have every area's methods. */
  users: Pick<UserModel, 'hydrate' | 'findById'>;
  cookie: SessionCookie;
  /** Hands over the User it read with the session (one read for both). */
  sessionStore: Pick<MongoSessionStore, 'loadedUser'>;
  securityLog: SecurityLog;
}

/**
 * The session holds only the shopper's id and email; this makes the full mongoose document of
 * that User `req.user` on every request, so that it has its methods (the cart) and current data.
 * The store read the User with the session in one command: it is hydrated here, never kept in the
 * session. A session whose user no longer exists, or that began before the shopper's sessions were
 * ended (an older session generation), is ended and logged.
 */
export function loadUser({ users, cookie, sessionStore, securityLog }: LoadUserOptions): RequestHandler {
  return async (req, res, next) => {
    const sessionUser = loggedInSessionUser(req);
    if (sessionUser) {
      const loaded = sessionStore.loadedUser(req);
      let user: UserDocument | null;
      if (loaded) user = users.hydrate(loaded);
      else {
        // A store without the users collection, or a session whose id names no User.
        const userId = parseObjectId(sessionUser._id);
        user = userId ? await users.findById(userId) : null;
      }
      const refusal = !user
        ? 'user gone'
        : (req.session.sessionGeneration ?? 0) !== (user.sessionGeneration ?? 0)
          ? 'ended by its shopper'
          : undefined;
      if (user && !refusal) {
        req.user = user;
        // A shopper's pages (cart, orders, their email in the navigation) must not be kept by the
        // browser or a shared proxy, where the back button or the next person could see them.
        res.set('Cache-Control', 'no-store');
      } else {
        securityLog.event(req, 'session-refused', { userId: sessionUser._id, reason: refusal });
        await destroySession(req);
        res.clearCookie(cookie.name, cookie.options);
      }
    }
    res.locals.isAuthenticated = req.user !== undefined;
    res.locals.currentUser = req.user?.email;
    next();
  };
}
