import fs from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config';
import { silentLogger, type Logger } from '../../src/platform/logger';
import type { MongoSessionStore } from '../../src/sessions/mongo-session-store';
import { RATE_LIMITS_COLLECTION, RateLimitCounters, type RateLimitCounter } from '../../src/http/rate-limit-store';
import { csrfTokenIn, expectRedirect, signUp, startTestShop, TEST_SECRET, type TestShop } from '../helpers/shop';
import { capturingLogger } from '../helpers/logs';

/*
 * Every rate limit counts in MongoDB: apps over the same database (the shop's processes) count
 * together, a restarted one remembers, a window ends by the clock, and keys from requests cannot
 * hurt the collection.
 */

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('shared-limits');
});

afterAll(async () => {
  await shop.close();
});

beforeEach(async () => {
  await counters().deleteMany({});
});

function counters() {
  return shop.store.database.collection<RateLimitCounter>(RATE_LIMITS_COLLECTION);
}

/** One shop process: its own session store (its own client), the given limits, clock and logger. */
function shopProcess(
  store: MongoSessionStore,
  limits: Record<string, string>,
  options: { now?: () => number; logger?: Logger } = {},
): Express {
  const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, ...limits });
  return createApp(
    { ...config, mail: shop.config.mail },
    { sessionStore: store, logger: options.logger ?? silentLogger, now: options.now },
  );
}

async function failedLogin(agent: ReturnType<typeof request.agent>, email = 'nobody@example.com'): Promise<Response> {
  const page = await agent.get('/login').expect(200);
  return agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfTokenIn(page.text), email, password: 'a wrong guess' });
}

test('two processes over one database count together, and a restarted one remembers', async () => {
  const limits = { LOGIN_RATE_LIMIT_PER_IP: '4', LOGIN_RATE_LIMIT_WINDOW_MINUTES: '15' };
  const first = shopProcess(shop.store, limits);
  const second = shopProcess((await shop.startAnotherInstance()).store, limits);

  // Alternating between the two, as a load balancer would: 4 in all, not 4 each.
  expect((await failedLogin(request.agent(first))).status).toBe(422);
  expect((await failedLogin(request.agent(second))).status).toBe(422);
  expect((await failedLogin(request.agent(first))).status).toBe(422);
  expect((await failedLogin(request.agent(second))).status).toBe(422);
  expect((await failedLogin(request.agent(first))).status).toBe(429);
  expect((await failedLogin(request.agent(second))).status).toBe(429);

  // A new process (a restart, a deploy) starts with what the others counted.
  const restarted = shopProcess((await shop.startAnotherInstance()).store, limits);
  const refused = await failedLogin(request.agent(restarted));
  expect(refused.status).toBe(429);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(14 * 60);
});

test('the count is atomic: parallel hits from two processes each get a number of their own', async () => {
  const now = () => Date.now();
  const another = await shop.startAnotherInstance();
  const stores = [shop.store, another.store].map((store) =>
    new RateLimitCounters({ collection: store.database.collection(RATE_LIMITS_COLLECTION), now }).store('parallel'),
  );
  for (const store of stores) store.init({ windowMs: 60_000 });
  const hits = await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % 2].increment('203.0.113.5')));
  expect(hits.map((hit) => hit.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  // One window for all of them.
  expect(new Set(hits.map((hit) => hit.resetTime?.getTime())).size).toBe(1);
});

test('a window ends by the clock: no waiting, and the next one starts from one', async () => {
  let clock = Date.now();
  const app = shopProcess(
    shop.store,
    { LOGIN_RATE_LIMIT_PER_IP: '2', LOGIN_RATE_LIMIT_WINDOW_MINUTES: '15' },
    { now: () => clock },
  );
  expect((await failedLogin(request.agent(app))).status).toBe(422);
  expect((await failedLogin(request.agent(app))).status).toBe(422);
  expect((await failedLogin(request.agent(app))).status).toBe(429);

  const addressCounter = () => counters().findOne({ _id: { $regex: '^login-ip:' } });
  const counter = await addressCounter();
  expect(counter?.hits).toBe(3);
  expect(counter?.resetAt).toBeInstanceOf(Date);
  expect(counter?.resetAt.getTime()).toBe(counter && clock + 15 * 60_000);

  clock += 15 * 60_000 - 1;
  expect((await failedLogin(request.agent(app))).status).toBe(429);
  clock += 1;
  expect((await failedLogin(request.agent(app))).status).toBe(422);
  expect((await addressCounter())?.hits).toBe(1);
});

test('MongoDB deletes counters whose window has ended (TTL index on the end)', async () => {
  await failedLogin(request.agent(shopProcess(shop.store, {})));
  // Made on first use, without holding the request up.
  let indexes: Awaited<ReturnType<ReturnType<typeof counters>['indexes']>> = [];
  for (let attempt = 0; attempt < 50 && !indexes.some((index) => index.key.resetAt); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    indexes = await counters().indexes();
  }
  expect(indexes).toEqual(
    expect.arrayContaining([expect.objectContaining({ key: { resetAt: 1 }, expireAfterSeconds: 0 })]),
  );
});

describe('hostile keys', () => {
  const app = () => shopProcess(shop.store, { LOGIN_RATE_LIMIT_PER_ACCOUNT: '2' });

  test.each([
    ['operators and dots', '$where.$gt.a@example.com'],
    ['a field path', 'session.user._id'],
    ['a NUL character', 'a\u0000b@example.com'],
    // As long as the 10 kB body allows.
    ['a huge string', `${'$.a'.repeat(1500)}@example.com`],
  ])('%s in the email count as one account, stored safely', async (_name, email) => {
    const limited = app();
    expect((await failedLogin(request.agent(limited), email)).status).toBe(422);
    expect((await failedLogin(request.agent(limited), email)).status).toBe(422);
    expect((await failedLogin(request.agent(limited), email)).status).toBe(429);
    const ids = (await counters().find({}).toArray()).map((counter) => counter._id);
    const key = email.trim().toLowerCase();
    if (key.length <= 200) expect(ids).toContain(`login-account-slowdown:k:${key}`);
    // Every id stays short, whatever was typed.
    expect(Math.max(...ids.map((id) => id.length))).toBeLessThan(300);
  });

  test('an email that is not a string is not counted as an account (and never a 500)', async () => {
    const agent = request.agent(app());
    const page = await agent.get('/login').expect(200);
    const response = await agent
      .post('/login')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ _csrf: csrfTokenIn(page.text), email: { $gt: '' }, password: 'x' }));
    expect(response.status).toBeLessThan(500);
    const ids = (await counters().find({}).toArray()).map((counter) => counter._id);
    expect(ids.filter((id) => id.startsWith('login-account'))).toEqual([]);
  });
});

describe('without TRUST_PROXY, X-Forwarded-For is not the client address', () => {
  test('rotating X-Forwarded-For does not get past the per-address limits', async () => {
    const { logger, lines } = capturingLogger();
    const app = shopProcess(shop.store, { LOGIN_RATE_LIMIT_PER_IP: '5', SIGNUP_RATE_LIMIT_PER_IP: '2' }, { logger });
    let refused = 0;
    for (let n = 1; n <= 20; n++) {
      const agent = request.agent(app).set('X-Forwarded-For', `198.51.100.${n}`);
      if ((await failedLogin(agent, `spray-${n}@example.com`)).status === 429) refused++;
    }
    expect(refused).toBe(15);
    const signups: number[] = [];
    for (let n = 1; n <= 4; n++) {
      const agent = request.agent(app).set('X-Forwarded-For', `203.0.113.${n}`);
      signups.push((await signUp(agent, `rotating-${n}@example.com`, 'a good password')).status);
    }
    expect(signups).toEqual([302, 302, 429, 429]);
    // express-rate-limit's warning about the header, as a log line of the shop's.
    expect(lines.some((line) => JSON.stringify(line).includes('ERR_ERL_UNEXPECTED_X_FORWARDED_FOR'))).toBe(true);
  });

  test('behind one proxy (TRUST_PROXY=1) each forwarded address has its own count', async () => {
    const app = shopProcess(shop.store, { LOGIN_RATE_LIMIT_PER_IP: '1', TRUST_PROXY: '1' });
    for (let n = 1; n <= 3; n++) {
      const agent = request.agent(app).set('X-Forwarded-For', `198.51.100.${n}`);
      expect((await failedLogin(agent)).status).toBe(422);
    }
    expectRedirect(
      await signUp(request.agent(app).set('X-Forwarded-For', '198.51.100.1'), 'proxied@example.com', 'a good password'),
      '/login',
    );
  });
});

test('every limit in the shop counts in MongoDB: no limiter without the shared store', () => {
  const files = sourceFiles(path.join(__dirname, '..', '..', 'src'));
  const calls = files.flatMap((file) => {
    const source = fs.readFileSync(file, 'utf8');
    return [...source.matchAll(/\b(rateLimit|slowDown)\(\{([\s\S]*?)\n\s*\}\)/g)].map(([, name, options]) => ({
      file: path.basename(file),
      name,
      shared: /\bstore: (counters|context\.counters)\.store\(/.test(options),
    }));
  });
  expect(calls.length).toBeGreaterThanOrEqual(2);
  expect(calls.filter((call) => !call.shared)).toEqual([]);
});

function sourceFiles(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}
