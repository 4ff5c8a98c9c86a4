import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config';
import { silentLogger } from '../../src/platform/logger';
import { User } from '../../src/user.model';
import { RATE_LIMITS_COLLECTION } from '../../src/http/rate-limit-store';
import {
  csrfTokenIn,
  expectRedirect,
  logIn,
  signUp,
  startTestShop,
  TEST_SECRET,
  type TestShop,
  PRODUCTION_URI,
} from '../helpers/shop';

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('rate-limit');
});

afterAll(async () => {
  await shop.close();
});

// The counters live in the shop's database, shared by every app over it: each test starts from none.
beforeEach(async () => {
  await shop.store.database.collection(RATE_LIMITS_COLLECTION).deleteMany({});
});

/** The shop on the same database and session store, with small limits. */
function shopWithLimits(limits: Record<string, string>): Express {
  const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, ...limits });
  // Its mail goes to the test's SMTP server, like the helper's app's.
  return createApp({ ...config, mail: shop.config.mail }, { sessionStore: shop.store, logger: silentLogger });
}

async function registered(email: string, password: string): Promise<void> {
  // Signed up on the helper's app, so signups don't count against the limited app under test.
  expectRedirect(await signUp(request.agent(shop.app), email, password), '/login');
}

function expectTooManyAttempts(response: Response, minutes: number): void {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(minutes * 60);
  expect(response.text).toContain(`Too many attempts. Try again in ${minutes} minutes.`);
}

test('after N failed logins for one email, even the right password is refused; other emails still log in', async () => {
  const app = shopWithLimits({ LOGIN_RATE_LIMIT_PER_ACCOUNT: '3', LOGIN_RATE_LIMIT_WINDOW_MINUTES: '15' });
  const password = 'the right password';
  await registered('target@example.com', password);
  await registered('bystander@example.com', password);
  const agent = request.agent(app);

  // The account key is the trimmed, lowercased email: spelling variants count as the same account.
  for (const email of ['target@example.com', ' TARGET@example.com', 'Target@Example.com ']) {
    expect((await logIn(agent, email, 'a wrong guess')).status).toBe(422);
  }
  const refused = await logIn(agent, 'target@example.com', password);
  expectTooManyAttempts(refused, 15);
  // Refused means not logged in.
  expectRedirect(await agent.get('/cart'), '/login?returnTo=%2Fcart');

  // Same address, another account: not limited.
  expectRedirect(await logIn(request.agent(app), 'bystander@example.com', password), '/');
});

test('successful logins do not count against the account', async () => {
  const app = shopWithLimits({ LOGIN_RATE_LIMIT_PER_ACCOUNT: '2' });
  const password = 'the right password';
  await registered('regular@example.com', password);
  for (let i = 0; i < 4; i++) {
    expectRedirect(await logIn(request.agent(app), 'regular@example.com', password), '/');
  }
});

test('one address is limited across many emails', async () => {
  const app = shopWithLimits({ LOGIN_RATE_LIMIT_PER_IP: '4', LOGIN_RATE_LIMIT_WINDOW_MINUTES: '15' });
  await registered('spray-target@example.com', 'the right password');
  const agent = request.agent(app);
  for (let i = 0; i < 4; i++) {
    expect((await logIn(agent, `guess-${i}@example.com`, 'a wrong guess')).status).toBe(422);
  }
  expectTooManyAttempts(await logIn(agent, 'spray-target@example.com', 'the right password'), 15);
  // A fresh cookie jar is the same address: still refused.
  expectTooManyAttempts(await logIn(request.agent(app), 'spray-target@example.com', 'the right password'), 15);
});

test('signups are limited per address, and a refused signup creates no account', async () => {
  const app = shopWithLimits({ SIGNUP_RATE_LIMIT_PER_IP: '2', SIGNUP_RATE_LIMIT_WINDOW_MINUTES: '60' });
  const agent = request.agent(app);
  expectRedirect(await signUp(agent, 'first-signup@example.com', 'a good password'), '/login');
  expectRedirect(await signUp(agent, 'second-signup@example.com', 'a good password'), '/login');
  expectTooManyAttempts(await signUp(agent, 'third-signup@example.com', 'a good password'), 60);
  expect(await User.exists({ email: 'third-signup@example.com' })).toBeNull();
});

test('limits are validated like the other configuration keys', () => {
  expect(() => loadConfig({ NODE_ENV: 'test', LOGIN_RATE_LIMIT_PER_ACCOUNT: '0' })).toThrow(
    /LOGIN_RATE_LIMIT_PER_ACCOUNT must be a whole number/,
  );
  expect(
    loadConfig({ NODE_ENV: 'production', SESSION_SECRET: TEST_SECRET, MONGODB_URI: PRODUCTION_URI }).rateLimit,
  ).toEqual({
    login: { perIp: 50, perAccount: 10, windowMs: 15 * 60_000 },
    signup: { perIp: 10, windowMs: 60 * 60_000 },
    reset: { perIp: 20, perAccount: 5, windowMs: 60 * 60_000 },
    photos: { perShopper: 30, windowMs: 60 * 60_000 },
  });
});

test('guessing the current password on the change-password form is limited per shopper', async () => {
  const app = shopWithLimits({ LOGIN_RATE_LIMIT_PER_ACCOUNT: '2', LOGIN_RATE_LIMIT_WINDOW_MINUTES: '15' });
  const password = 'the right password';
  await registered('stolen-session@example.com', password);
  const agent = request.agent(app);
  expectRedirect(await logIn(agent, 'stolen-session@example.com', password), '/');
  const guess = async (currentPassword: string) => {
    const page = await agent.get('/account/password').expect(200);
    const _csrf = csrfTokenIn(page.text);
    return agent
      .post('/account/password')
      .type('form')
      .send({ _csrf, currentPassword, password: 'a new password!', confirmPassword: 'a new password!' });
  };
  expect((await guess('guess one')).status).toBe(422);
  expect((await guess('guess two')).status).toBe(422);
  expectTooManyAttempts(await guess(password), 15);
  // Still the old password: the refused attempt changed nothing.
  expectRedirect(await logIn(request.agent(app), 'stolen-session@example.com', password), '/');
});

describe('no lockout of the owner', () => {
  const password = 'the right password';

  /** A browser behind the one trusted proxy, seen from `address`. */
  function from(app: Express, address: string) {
    return request.agent(app).set('X-Forwarded-For', address);
  }

  test('failures from many addresses slow the account down but never close it to its owner', async () => {
    const app = shopWithLimits({ LOGIN_RATE_LIMIT_PER_ACCOUNT: '3', TRUST_PROXY: '1' });
    await registered('besieged@example.com', password);
    // An attacker with many addresses, each below the per-address limits (from the 4th on, slowed).
    for (let n = 1; n <= 6; n++) {
      expect((await logIn(from(app, `203.0.113.${n}`), 'besieged@example.com', 'a wrong guess')).status).toBe(422);
    }
    // The owner, from their own address, with the right password: in, however late.
    const started = Date.now();
    expectRedirect(await logIn(from(app, '198.51.100.7'), 'besieged@example.com', password), '/');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // One address that keeps guessing one account is stopped there.
    const attacker = from(app, '203.0.113.99');
    for (let n = 0; n < 3; n++) await logIn(attacker, 'besieged@example.com', 'a wrong guess');
    expectTooManyAttempts(await logIn(attacker, 'besieged@example.com', password), 15);
  });

  test('a password reset clears the slow-down', async () => {
    const app = shopWithLimits({ LOGIN_RATE_LIMIT_PER_ACCOUNT: '2', TRUST_PROXY: '1' });
    const email = 'reset-clears@example.com';
    await registered(email, password);
    for (let n = 1; n <= 5; n++) await logIn(from(app, `203.0.113.${n}`), email, 'a wrong guess');
    // Reset through the limited app: the mailed link, then a new password.
    const agent = from(app, '198.51.100.8');
    const resetPage = await agent.get('/reset');
    await agent
      .post('/reset')
      .type('form')
      .send({ _csrf: csrfTokenIn(resetPage.text), email })
      .expect(200);
    const mail = await shop.inbox.waitFor(email, /Reset your password/);
    const link = /https?:\/\/[^\s/]+(\/reset\/\S+)/.exec(mail.text)![1];
    const form = await agent.get(link).expect(200);
    const passwordToken = /name="passwordToken" value="([^"]+)"/.exec(form.text)![1];
    await agent
      .post('/new-password')
      .type('form')
      .send({
        _csrf: csrfTokenIn(form.text),
        passwordToken,
        password: 'a fresh password',
        confirmPassword: 'a fresh password',
      })
      .expect(302);
    const started = Date.now();
    expectRedirect(await logIn(from(app, '198.51.100.9'), email, 'a fresh password'), '/');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('reset requests are limited per account, from any address', async () => {
    const base = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, TRUST_PROXY: '1' });
    const config = { ...base, rateLimit: { ...base.rateLimit, reset: { ...base.rateLimit.reset, perAccount: 2 } } };
    const app = createApp(config, { sessionStore: shop.store, logger: silentLogger });
    await registered('flooded@example.com', password);
    const ask = async (address: string, email: string) => {
      const agent = from(app, address);
      const page = await agent.get('/reset');
      return agent
        .post('/reset')
        .type('form')
        .send({ _csrf: csrfTokenIn(page.text), email });
    };
    // Spelling variants are the same account.
    expect((await ask('192.0.2.1', 'flooded@example.com')).status).toBe(200);
    expect((await ask('192.0.2.2', 'Flooded@Example.com ')).status).toBe(200);
    expectTooManyAttempts(await ask('192.0.2.3', 'flooded@example.com'), 60);
    // Another account from the same address is not limited.
    expect((await ask('192.0.2.3', 'someone-else@example.com')).status).toBe(200);
  });
});
