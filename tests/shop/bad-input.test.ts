import request from 'supertest';
import type { SessionData } from 'express-session';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config';
import { silentLogger } from '../../src/platform/logger';
import { MongoSessionStore } from '../../src/sessions/mongo-session-store';
import { testServerUri } from '../helpers/database';
import { csrfTokenIn, logIn, newShopper, startTestShop, type TestShop, PRODUCTION_URI } from '../helpers/shop';

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('bad_input');
});

afterAll(async () => {
  await shop.close();
});

test('a body over 10 kB gets the 413 page', async () => {
  const shopper = await newShopper(shop.app, 'big');
  const response = await shopper.agent
    .post('/admin/add-product')
    .type('form')
    .send({ _csrf: shopper.csrf, title: 'x', price: '1', description: 'y'.repeat(20_000), imageUrl: '' });
  expect(response.status).toBe(413);
  expect(response.text).toContain('too large');
});

test('malformed JSON and malformed URLs get the 400 page', async () => {
  const json = await request(shop.app).post('/login').set('Content-Type', 'application/json').send('{"email": ');
  expect(json.status).toBe(400);
  expect(json.text).toContain('could not be understood');
  const url = await request(shop.app).get('/products/%E0%A4%A');
  expect(url.status).toBe(400);
});

/** The real store, except that it cannot save a logged-in session: the write after login fails. */
class StoreThatFailsAtLogin extends MongoSessionStore {
  override set(sid: string, data: SessionData, callback?: (error?: unknown) => void): void {
    if (data.isLoggedIn) {
      process.nextTick(() => callback?.(new Error('simulated write failure')));
      return;
    }
    super.set(sid, data, callback);
  }
}

test('a failed session save at login renders the 500 page with a request id, and no redirect', async () => {
  const shopper = await newShopper(shop.app, 'unlucky');
  const store = new StoreThatFailsAtLogin({
    uri: testServerUri(),
    database: shop.store.database,
    idleTimeoutMs: shop.config.session.idleTimeoutMs,
    touchIntervalMs: shop.config.session.touchIntervalMs,
  });
  try {
    const app = createApp(shop.config, { sessionStore: store, logger: silentLogger });
    const agent = request.agent(app);
    const response = await logIn(agent, shopper.email, shopper.password);
    expect(response.status).toBe(500);
    expect(response.headers.location).toBeUndefined();
    expect(response.text).toMatch(/request id <code>[0-9a-f-]{36}<\/code>/);
    expect(response.text).toContain('simulated write failure');
    await agent
      .get('/cart')
      .expect(302)
      .expect('Location', /^\/login(\?|$)/);
  } finally {
    await store.close();
  }
});

test('in production: a __Host- cookie, Secure and HttpOnly, and a 500 page without details', async () => {
  const shopper = await newShopper(shop.app, 'production');
  const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), MONGODB_URI: PRODUCTION_URI });
  const store = new StoreThatFailsAtLogin({
    uri: testServerUri(),
    database: shop.store.database,
    idleTimeoutMs: config.session.idleTimeoutMs,
    touchIntervalMs: config.session.touchIntervalMs,
  });
  try {
    // Production cookies are Secure: the requests come over HTTPS through one trusted proxy.
    const production = { ...config, trustProxy: 1 };
    const working = createApp(production, { sessionStore: shop.store, logger: silentLogger });
    const visit = await request(working).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
    // The visitor's CSRF cookie: no session yet, and as strict as a cookie can be.
    expect(String(visit.headers['set-cookie'])).toMatch(/^__Host-csrf=.*; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const login = await request(working)
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', String(visit.headers['set-cookie']).split(';')[0])
      .type('form')
      .send({ _csrf: csrfTokenIn(visit.text), email: shopper.email, password: shopper.password })
      .expect(302);
    const sessionCookie = [login.headers['set-cookie']].flat().find((line) => line?.startsWith('__Host-sid='));
    expect(sessionCookie).toMatch(/^__Host-sid=.*; Path=\/; .*HttpOnly; Secure; SameSite=Lax/);

    const app = createApp(production, { sessionStore: store, logger: silentLogger });
    const page = await request(app).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    const response = await request(app)
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrfTokenIn(page.text), email: shopper.email, password: shopper.password });
    expect(response.status).toBe(500);
    expect(response.text).toMatch(/request id <code>[0-9a-f-]{36}<\/code>/);
    expect(response.text).not.toContain('simulated write failure');
    expect(response.text).not.toContain('error-details');
  } finally {
    await store.close();
  }
});
