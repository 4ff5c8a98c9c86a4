import request from 'supertest';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/platform/logger';
import { expectRedirect, logIn, sessionsCollection, signUp, startTestShop, type TestShop } from '../helpers/shop';

// The absolute timeout counts from login, on the server: activity does not extend it. The apps
// here run on a clock of the test's, which moves forward instead of the test sleeping.

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('timeouts');
});

afterAll(async () => {
  await shop.close();
});

let clock = Date.now();

/** The shop on the same database and store, with an absolute timeout of its own, on the test's clock. */
function shopWithAbsoluteTimeout(absoluteTimeoutMs: number) {
  const config = { ...shop.config, session: { ...shop.config.session, absoluteTimeoutMs } };
  return createApp(config, { sessionStore: shop.store, logger: silentLogger, now: () => clock });
}

async function loggedInCookie(name: string, app = shop.app): Promise<string> {
  const agent = request.agent(app);
  const email = `${name}-${Date.now()}@example.com`;
  expectRedirect(await signUp(agent, email, 'a long enough password'), '/login');
  const response = await logIn(agent, email, 'a long enough password');
  expectRedirect(response, '/');
  const cookie = [response.headers['set-cookie']].flat().find((line) => line?.startsWith('sid='));
  if (!cookie) throw new Error('login set no session cookie');
  return cookie.split(';')[0];
}

test('login stores its start time in the session, on the server', async () => {
  const before = Date.now();
  await loggedInCookie('started');
  const newest = await sessionsCollection().find({ 'session.isLoggedIn': true }).sort({ expires: -1 }).limit(1).next();
  expect(newest?.session.loggedInAt).toBeGreaterThanOrEqual(before);
});

test('a login older than the absolute timeout ends, even while the shopper is active', async () => {
  const ABSOLUTE_MS = 1500;
  const app = shopWithAbsoluteTimeout(ABSOLUTE_MS);
  const loggedInAt = clock;
  const cookie = await loggedInCookie('absolute', app);
  // Active all along: a request every 200 ms, until just before the timeout.
  for (clock = loggedInAt; clock <= loggedInAt + ABSOLUTE_MS; clock += 200) {
    expect((await request(app).get('/cart').set('Cookie', cookie)).status).toBe(200);
  }
  clock = loggedInAt + ABSOLUTE_MS + 1;
  const expired = await request(app).get('/cart').set('Cookie', cookie);
  expect(expired.status).toBe(302);
  expect(expired.headers.location).toMatch(/^\/login/);
  // The session is gone from MongoDB: the same cookie no longer works anywhere.
  expect((await request(shop.app).get('/cart').set('Cookie', cookie)).status).toBe(302);
});

test('within the absolute timeout the login goes on', async () => {
  const cookie = await loggedInCookie('fresh');
  expect(
    (
      await request(shopWithAbsoluteTimeout(60 * 60 * 1000))
        .get('/cart')
        .set('Cookie', cookie)
    ).status,
  ).toBe(200);
});
