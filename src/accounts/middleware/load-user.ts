import type { RequestHandler } from 'express';
import { User } from '../user.model';
import { parseObjectId } from '../../http/object-id';
import { destroySession } from '../../sessions/session-promises';
import type { SessionCookie } from '../../sessions/session-cookie';
import { loggedInSessionUser } from '../../sessions/login';

/**
 * The session holds only the shopper's id and email; this re-loads the full mongoose document
 * on every request, so that `req.user` has its methods (the cart) and current data.
 * A session whose user no longer exists is ended: deleting an account logs it out everywhere
 * on the next request.
 */
export function loadUser(cookie: SessionCookie): RequestHandler {
  return async (req, res, next) => {
    const sessionUser = loggedInSessionUser(req);
    if (sessionUser) {
      const userId = parseObjectId(sessionUser._id);
      const user = userId ? await User.findById(userId) : null;
      if (user) {
        req.user = user;
        // A shopper's pages (cart, orders, their email in the navigation) must not be kept by the
        // browser or a shared proxy, where the back button or the next person could see them.
        res.set('Cache-Control', 'no-store');
      } else {
        await destroySession(req);
        res.clearCookie(cookie.name, cookie.options);
      }
    }
    res.locals.isAuthenticated = req.user !== undefined;
    res.locals.currentUser = req.user?.email;
    next();
  };
}
