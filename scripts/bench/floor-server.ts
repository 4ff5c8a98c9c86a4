/**
 * The benchmark's floor, (f): the least a logged-in product list can cost under the shop's rules.
 * Per request it does only what every logged-in page must: verify the signed session cookie, read
 * the session document through the MongoDB driver, load the User through mongoose (a document
 * with its methods, as load-user.ts does), and render the shop's logged-in product list from the
 * products held in memory (as the product cache serves them). No express-session, security
 * headers, request log, CSRF middleware or rolling cookie. If (f) stays far below (a), so must (c).
 *
 * Its own process, started by scripts/bench.ts (SESSION_SECRET in its environment):
 *   node --import tsx scripts/bench/floor-server.ts --port P --uri URI --products products.json --total N
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import express from 'express';
import mongoose from 'mongoose';
import { MongoClient } from 'mongodb';
import { usePageDefaults } from '../../src/app';
import { unitsIn } from '../../src/cart/cart.service';
import { productListLocals } from './product-list-page';
import { useViews } from '../../src/http/view-engine';
import { User } from '../../src/user.model';
import { loadConfig } from '../../src/platform/config';
import { SESSIONS_COLLECTION, type SessionDocument } from '../../src/sessions/mongo-session-store';
import { sessionCookie } from '../../src/sessions/session-cookie';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    uri: { type: 'string' },
    products: { type: 'string' },
    total: { type: 'string' },
  },
});
if (!values.port || !values.uri || !values.products || !values.total || !process.env.SESSION_SECRET) {
  console.error('usage: SESSION_SECRET=... floor-server.ts --port P --uri URI --products FILE --total N');
  process.exit(2);
}
// The shop's production configuration, with the secret the bench passes the way the shop gets it:
// the name of its session cookie, and the key that signs it.
const config = loadConfig({
  NODE_ENV: 'production',
  MONGODB_URI: values.uri,
  SESSION_SECRET: process.env.SESSION_SECRET,
});
const secret = config.sessionSecrets[0];

const products: unknown[] = JSON.parse(fs.readFileSync(values.products, 'utf8'));
const page = productListLocals(products, 1, Number(values.total));
const cookiePattern = new RegExp(`(?:^|;\\s*)${sessionCookie(config).name}=([^;]+)`);

/** The session id in express-session's signed cookie value (`s:<id>.<HMAC-SHA256>`), if the signature holds. */
function sessionIdOf(cookieValue: string | undefined, key: string): string | undefined {
  const value = cookieValue && decodeURIComponent(cookieValue);
  if (!value?.startsWith('s:')) return undefined;
  const dot = value.lastIndexOf('.');
  const id = value.slice(2, dot);
  const expected = Buffer.from(crypto.createHmac('sha256', key).update(id).digest('base64').replace(/=+$/, ''));
  const given = Buffer.from(value.slice(dot + 1));
  return given.length === expected.length && crypto.timingSafeEqual(given, expected) ? id : undefined;
}

async function main(): Promise<void> {
  await mongoose.connect(values.uri!);
  const client = await MongoClient.connect(values.uri!);
  const sessions = client.db().collection<SessionDocument>(SESSIONS_COLLECTION);

  const app = express();
  useViews(app, { cache: true });
  app.disable('x-powered-by');
  usePageDefaults(app);

  app.get('/products', async (req, res) => {
    const sid = sessionIdOf(cookiePattern.exec(req.headers.cookie ?? '')?.[1], secret);
    const session = sid ? (await sessions.findOne({ _id: sid }))?.session : undefined;
    const user = session?.user ? await User.findById(session.user._id) : null;
    if (!session || !user) {
      res.status(401).send('no session');
      return;
    }
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

  const server = app.listen(Number(values.port), '127.0.0.1', () => {
    console.log(`floor listening on http://127.0.0.1:${values.port}/products`);
  });
  process.once('SIGTERM', () => {
    server.close(() => {
      void Promise.all([client.close(), mongoose.disconnect()]).finally(() => process.exit(0));
    });
    server.closeAllConnections();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
