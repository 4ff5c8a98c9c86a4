import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import mongoose from 'mongoose';
import request, { type Response } from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config';
import { startEmbeddedMongo, type EmbeddedMongo } from '@session-shop/embedded-mongodb';
import { silentLogger } from '../../src/platform/logger';
import { User } from '../../src/user.model';
import { MongoSessionStore } from '../../src/sessions/mongo-session-store';
import { SESSIONS_COLLECTION } from '../../src/sessions/session-document';
import { TEST_SECRET, addProduct, newShopper, placeOrder, type Shopper } from '../helpers/shop';

/*
 * The database goes away under a running shop and comes back: an engine of this file's own (with
 * a data directory, so a restart keeps everything), stopped and restarted on the same port while
 * the app, its mongoose connection and its session store stay as they are.
 */

jest.setTimeout(90_000);

const REQUEST_TIMEOUT_MS = 1500;
/** Far below the driver's default of 30 s: a request must not hang for the whole outage. */
const ANSWER_WITHIN_MS = 10_000;

let dbPath: string;
let engine: EmbeddedMongo;
let store: MongoSessionStore;
let app: Express;

beforeAll(async () => {
  dbPath = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-'));
  engine = await startEmbeddedMongo({ port: 0, dbPath });
  const config = loadConfig({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    DB_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    // No product cache: an anonymous page must meet the outage, not a page read a moment before it.
    CATALOG_CACHE_MS: '0',
  });
  const uri = `${engine.uri}/shop`;
  // As src/server.ts connects: the request timeout is the driver's server selection timeout.
  await mongoose.connect(uri, { serverSelectionTimeoutMS: REQUEST_TIMEOUT_MS });
  await mongoose.connection.syncIndexes();
  // As src/server.ts builds it: mongoose's pool, and the User read with the session.
  store = new MongoSessionStore({
    uri,
    database: mongoose.connection.getClient().db(mongoose.connection.name),
    usersCollection: User.collection.collectionName,
    idleTimeoutMs: config.session.idleTimeoutMs,
    // Every request writes its expiry: the touch is among what meets the outage.
    touchIntervalMs: 0,
    connectionOptions: { serverSelectionTimeoutMS: REQUEST_TIMEOUT_MS },
  });
  await store.ready();
  app = createApp(config, { sessionStore: store, logger: silentLogger });
});

afterAll(async () => {
  await store.close();
  await mongoose.disconnect();
  await engine.stop();
  fs.rmSync(dbPath, { recursive: true, force: true });
});

function addToCart(shopper: Shopper, productId: string) {
  return shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId });
}

async function timed(send: () => PromiseLike<Response>): Promise<{ response: Response; ms: number }> {
  const started = Date.now();
  const response = await send();
  return { response, ms: Date.now() - started };
}

function expectUnavailablePage({ response, ms }: { response: Response; ms: number }): void {
  expect(response.status).toBe(503);
  expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
  expect(response.headers['retry-after']).toBe('5');
  expect(response.text).toContain('briefly unavailable');
  expect(response.text).toMatch(/request id <code>[0-9a-f-]{36}<\/code>/);
  // Neither "Login" (the shopper is not logged out) nor any stack trace.
  expect(response.text).not.toContain('href="/login"');
  expect(response.text).not.toContain('error-details');
}

async function waitUntilReady(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await request(app).get('/readyz')).status !== 200) {
    if (Date.now() > deadline) throw new Error('the shop did not become ready again');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a logged-in shopper while the database is stopped: the 503 page, never a visitor or the login page', async () => {
  const shopper = await newShopper(app, 'never-a-visitor');
  // express-session serves requests without their session while its store reports 'disconnect':
  // the shopper would be a visitor, and a form would go to the login page. The store never does.
  const reported: string[] = [];
  for (const event of ['disconnect', 'connect']) store.on(event, () => reported.push(event));

  await engine.stop();
  try {
    const pages = ['/account', '/account/sessions', '/orders', '/'];
    for (const page of pages) expectUnavailablePage(await timed(() => shopper.agent.get(page)));
    const forms = ['/account/logout-everywhere', '/logout', '/cart'];
    for (const form of forms) {
      expectUnavailablePage(
        await timed(() =>
          shopper.agent
            .post(form)
            .type('form')
            .send({ _csrf: shopper.csrf, productId: '0'.repeat(24) }),
        ),
      );
    }
  } finally {
    engine = await startEmbeddedMongo({ port: engine.port, dbPath });
    await waitUntilReady();
  }
  expect(reported).toEqual([]);
  // Nothing was lost: the same session, still logged in.
  const account = await shopper.agent.get('/account').expect(200);
  expect(account.text).toContain(shopper.email);
});

test('database stopped: 503 pages within seconds, no crash; restarted: the same shopper, the same cart', async () => {
  const seller = await newShopper(app, 'seller');
  const teaId = await addProduct(seller, { title: 'Outage Tea', price: '3.50' });
  const shopper = await newShopper(app, 'through-outage');
  await addToCart(shopper, teaId).expect(302);
  const sessionsBefore = await mongoose.connection.collection(SESSIONS_COLLECTION).countDocuments();

  await engine.stop();

  expectUnavailablePage(await timed(() => shopper.agent.get('/cart')));
  expectUnavailablePage(await timed(() => addToCart(shopper, teaId)));
  expectUnavailablePage(
    await timed(() => shopper.agent.post('/create-order').type('form').send({ _csrf: shopper.csrf })),
  );
  expectUnavailablePage(await timed(() => request(app).get('/products')));
  // The health endpoints tell a load balancer what happened: alive, but not ready.
  const ready = await timed(() => request(app).get('/readyz'));
  expect(ready.response.status).toBe(503);
  expect(ready.response.body).toEqual({ status: 'unavailable' });
  expect(ready.ms).toBeLessThan(ANSWER_WITHIN_MS);
  await request(app).get('/healthz').expect(200);

  engine = await startEmbeddedMongo({ port: engine.port, dbPath });
  await waitUntilReady();

  // The same app, without a restart: still logged in, the CSRF token still valid, the cart intact.
  const cart = await shopper.agent.get('/cart').expect(200);
  expect(cart.text).toContain(shopper.email);
  expect(cart.text).toContain('Outage Tea');
  await addToCart(shopper, teaId).expect(302).expect('Location', '/cart');
  const user = await User.findOne({ email: shopper.email }).lean();
  expect(user?.cart.items.map((item) => item.quantity)).toEqual([2]);
  await placeOrder(shopper);
  // Nothing was written for anyone during the outage: no session was lost, none was added.
  expect(await mongoose.connection.collection(SESSIONS_COLLECTION).countDocuments()).toBe(sessionsBefore);
});
