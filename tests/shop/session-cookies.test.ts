import crypto from 'node:crypto';
import request from 'supertest';
import type { Response } from 'supertest';
import { createApp } from '../../src/app';
import type { Config } from '../../src/platform/config';
import { silentLogger } from '../../src/platform/logger';
import {
  TEST_SECRET,
  expectRedirect,
  logIn,
  newShopper,
  sessionIdSetBy,
  sessionsCollection,
  startTestShop,
  type TestShop,
} from '../helpers/shop';

// The session cookie: secret rotation, cookies the server did not issue, and the idle timeout.

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('cookies');
});

afterAll(async () => {
  await shop.close();
});

const OLD_SECRET = 'the-old-secret-that-signed-every-cookie-so-far';
const NEW_SECRET = 'the-new-secret-that-signs-from-now-on-after-rotation';

function appWith(changes: Partial<Config>, store = shop.store) {
  return createApp({ ...shop.config, ...changes }, { sessionStore: store, logger: silentLogger });
}

/** A signed cookie value as express-session writes it (cookie-signature: HMAC-SHA256, base64, unpadded). */
function signedCookie(sessionId: string, secret: string): string {
  const mac = crypto.createHmac('sha256', secret).update(sessionId).digest('base64').replace(/=+$/, '');
  return `sid=${encodeURIComponent(`s:${sessionId}.${mac}`)}`;
}

function cookieSetBy(response: Response): string {
  const header = [response.headers['set-cookie']].flat();
  const cookie = header.find((line) => line?.startsWith('sid='));
  if (!cookie) throw new Error(`no session cookie set (status ${response.status})`);
  return cookie.split(';')[0];
}

const isLoggedInWith = async (app: ReturnType<typeof appWith>, cookie: string) =>
  (await request(app).get('/cart').set('Cookie', cookie)).status === 200;

describe('secret rotation', () => {
  test('the first secret signs, every listed secret verifies, and a dropped secret no longer does', async () => {
    const before = appWith({ sessionSecrets: [OLD_SECRET] });
    const during = appWith({ sessionSecrets: [NEW_SECRET, OLD_SECRET] });
    const after = appWith({ sessionSecrets: [NEW_SECRET] });

    const shopper = await newShopper(shop.app, 'rotation');
    const agent = request.agent(before);
    const login = await logIn(agent, shopper.email, shopper.password);
    expectRedirect(login, '/');
    const oldCookie = cookieSetBy(login);
    const sessionId = sessionIdSetBy(login) as string;
    expect(oldCookie).toBe(signedCookie(sessionId, OLD_SECRET));

    // During the rotation the old cookie still works, and comes back signed with the new secret.
    const page = await request(during).get('/cart').set('Cookie', oldCookie).expect(200);
    const renewed = cookieSetBy(page);
    expect(renewed).toBe(signedCookie(sessionId, NEW_SECRET));

    expect(await isLoggedInWith(after, renewed)).toBe(true);
    expect(await isLoggedInWith(after, oldCookie)).toBe(false);
  });
});

describe('a session id the server did not issue is never accepted', () => {
  test('a correctly signed cookie for an unknown id is a fresh anonymous visit, and the id is not adopted', async () => {
    const forgedId = crypto.randomBytes(24).toString('base64url');
    const forged = signedCookie(forgedId, TEST_SECRET);

    const cart = await request(shop.app).get('/cart').set('Cookie', forged);
    expect(cart.status).toBe(302);
    expect(cart.headers.location).toMatch(/^\/login/);

    // A login sent with it gets a new session, under an id of the server's choosing.
    const shopper = await newShopper(shop.app, 'forged');
    const agent = request.agent(shop.app);
    agent.jar.setCookie(`${forged}; Path=/`, '127.0.0.1', '/');
    const login = await logIn(agent, shopper.email, shopper.password);
    expectRedirect(login, '/');
    const issued = sessionIdSetBy(login);
    expect(issued).toBeDefined();
    expect(issued).not.toBe(forgedId);
    expect(await sessionsCollection().countDocuments({ _id: forgedId })).toBe(0);
  });

  test('a tampered signature, an unsigned id or a malformed cookie is an anonymous visit, never an error', async () => {
    const shopper = await newShopper(shop.app, 'tampered');
    const login = await logIn(request.agent(shop.app), shopper.email, shopper.password);
    const genuine = cookieSetBy(login);
    const sessionId = sessionIdSetBy(login) as string;
    expect(await isLoggedInWith(shop.app, genuine)).toBe(true);

    const lastChar = genuine.at(-1) === 'A' ? 'B' : 'A';
    const tampered = genuine.slice(0, -1) + lastChar;
    for (const cookie of [tampered, `sid=${sessionId}`, `sid=s%3A${sessionId}`, 'sid=%E0%A4%A', 'sid=s:..']) {
      expect(await isLoggedInWith(shop.app, cookie)).toBe(false);
      await request(shop.app).get('/products').set('Cookie', cookie).expect(200);
    }
    // The genuine session was not harmed by the attempts.
    expect(await isLoggedInWith(shop.app, genuine)).toBe(true);
  });
});

describe('idle timeout', () => {
  const IDLE_MS = 1500;

  test('activity keeps the session alive past the idle timeout; inactivity ends it on the server', async () => {
    // A store on a clock of the test's that writes every touch, and a shop whose sessions idle out
    // after 1.5 s: time moves forward instead of the test sleeping.
    let clock = Date.now();
    const { store } = await shop.startAnotherInstance({ touchIntervalMs: 100, now: () => clock });
    const app = appWith({ session: { ...shop.config.session, idleTimeoutMs: IDLE_MS } }, store);
    const shopper = await newShopper(shop.app, 'idle');
    const login = await logIn(request.agent(app), shopper.email, shopper.password);
    expectRedirect(login, '/');
    const cookie = cookieSetBy(login);
    const sessionId = sessionIdSetBy(login) as string;

    // Active for twice the idle timeout: one request every 300 ms.
    for (const activeUntil = clock + 2 * IDLE_MS; clock < activeUntil; clock += 300) {
      const page = await request(app).get('/cart').set('Cookie', cookie);
      expect(page.status).toBe(200);
      // Rolling: each response moves the cookie's expiry forward.
      expect(String(page.headers['set-cookie'])).toMatch(/Expires=/);
    }
    const stored = await sessionsCollection().findOne({ _id: sessionId });
    expect(stored?.expires.getTime()).toBeGreaterThan(clock);

    // Idle for longer than the timeout. The cookie is sent anyway (as a thief would): the server refuses it.
    clock += IDLE_MS + 500;
    const expired = await request(app).get('/cart').set('Cookie', cookie);
    expect(expired.status).toBe(302);
    expect(expired.headers.location).toMatch(/^\/login/);
    expect(await sessionsCollection().countDocuments({ _id: sessionId })).toBe(0);
  });
});
