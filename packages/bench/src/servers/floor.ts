/**
 * The floor of a logged-in page, (f): what the shop's logged-in product list must do, and nothing
 * else. Per request: verify the signed session cookie (as express-session does), read the session
 * with its User in one command (the aggregation the shop's session store sends: the session by
 * `_id`, the User by the `userId` kept beside it), refuse it if expired, past the absolute timeout
 * or of an older session generation, hydrate the User with mongoose (as load-user.ts does), and
 * render the page from products held in memory (as the shop's product cache serves them). No
 * express-session, rolling cookie, security headers, request log or CSRF middleware. The bench
 * checks that its page is the shop's logged-in page, byte for byte.
 *
 *   SESSION_SECRET=<the shop's> node --import tsx packages/bench/src/servers/floor.ts --port P --uri URI
 */
import mongoose from 'mongoose';
import type { Document } from 'mongodb';
import type { SessionData } from 'express-session';
import { loadConfig, sessionCookie, SESSIONS_COLLECTION, unitsIn, User } from '../shop';
import { firstPageLocals } from './product-list';
import { sessionIdIn } from './session-id';
import { listen, serverArgs, shopPagesApp, start } from './common';

const { port, uri, secret } = serverArgs('floor.ts');
// The shop's production configuration with its secret: the cookie's name, the keys, the timeouts.
const config = loadConfig({ NODE_ENV: 'production', MONGODB_URI: uri, SESSION_SECRET: secret });
const cookieName = sessionCookie(config).name;

/** A session document (CONTRACT.md) with the User it names, as the aggregation returns it. */
interface SessionWithUser {
  expires: Date;
  session: SessionData;
  users: Document[];
}

start(async () => {
  await mongoose.connect(uri);
  const page = await firstPageLocals();
  const sessions = mongoose.connection.db!.collection(SESSIONS_COLLECTION);
  const readSession = (sid: string) =>
    sessions
      .aggregate<SessionWithUser>([
        { $match: { _id: sid } },
        { $limit: 1 },
        { $lookup: { from: User.collection.collectionName, localField: 'userId', foreignField: '_id', as: 'users' } },
      ])
      .next();

  const app = shopPagesApp();
  app.get('/products', async (req, res) => {
    const sid = sessionIdIn(req.headers.cookie, cookieName, config.sessionSecrets);
    const found = sid ? await readSession(sid) : null;
    const now = Date.now();
    const session = found && found.expires.getTime() > now ? found.session : undefined;
    const user = session && found?.users[0] ? User.hydrate(found.users[0]) : undefined;
    if (
      !session ||
      !user ||
      now - (session.loggedInAt ?? 0) > config.session.absoluteTimeoutMs ||
      (session.sessionGeneration ?? 0) !== (user.sessionGeneration ?? 0)
    ) {
      res.status(401).send('no session');
      return;
    }
    res.set('Cache-Control', 'no-store');
    res.render('catalog/product-list', {
      ...page,
      isAuthenticated: true,
      currentUser: user.email,
      csrfToken: session.csrfToken,
      // What the shop's cart locals give a logged-in page: the count for the navigation, the way back.
      cartCount: unitsIn(user.cart.items),
      cartReturnTo: '/products',
    });
  });
  listen(app, 'floor', port);
});
