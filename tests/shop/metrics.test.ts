import crypto from 'node:crypto';
import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/platform/config';
import { silentLogger, type Logger } from '../../src/platform/logger';
import { UserSessions } from '../../src/sessions/user-sessions';
import { recordCommands } from '../helpers/commands';
import { capturingLogger } from '../helpers/logs';
import {
  addProduct,
  csrfTokenIn,
  logIn,
  newShopper,
  startTestShop,
  TEST_SECRET,
  type Shopper,
  type TestShop,
} from '../helpers/shop';

/*
 * GET /metrics: Prometheus text, only for the bearer of METRICS_TOKEN, labelled by route pattern
 * (never the URL), with database failures, active sessions (counted at most once a minute) and
 * Node's own figures. And the security log's lines as structured events.
 */

const TOKEN = 'metrics-token-for-the-tests-0123456789abcdef';

let shop: TestShop;
let seller: Shopper;
let productId: string;

beforeAll(async () => {
  shop = await startTestShop('metrics');
  seller = await newShopper(shop.app, 'seller');
  productId = await addProduct(seller, { title: 'Measured Tea', price: '3' });
});

afterAll(async () => {
  await shop.close();
});

function appWith(env: Record<string, string>, options: { now?: () => number; logger?: Logger } = {}): Express {
  const config: Config = {
    ...loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, ...env }),
    mail: shop.config.mail,
  };
  return createApp(config, { sessionStore: shop.store, logger: options.logger ?? silentLogger, now: options.now });
}

async function scrape(app: Express): Promise<string> {
  const response = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(response.headers['cache-control']).toBe('no-store');
  return response.text;
}

/** The value of one series, e.g. `shop_http_requests_total{method="GET",route="/",status_code="200"}`. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('protection', () => {
  test('without METRICS_TOKEN there is no /metrics: the 404 page', async () => {
    const app = appWith({});
    const response = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
    expect(response.text).not.toContain('nodejs_');
  });

  test.each([
    ['no Authorization header', undefined],
    ['another token of the same length', `Bearer ${TOKEN.replace(/.$/, 'X')}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 32)}`],
    ['the token with more after it', `Bearer ${TOKEN}0`],
    ['the token as Basic', `Basic ${TOKEN}`],
    ['the token without a scheme', TOKEN],
    ['an empty bearer', 'Bearer '],
  ])('%s: 401, and no figures', async (_name, authorization) => {
    const app = appWith({ METRICS_TOKEN: TOKEN });
    const call = request(app).get('/metrics');
    if (authorization !== undefined) call.set('Authorization', authorization);
    const response = await call.expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(response.text).not.toContain('shop_');
  });

  test('a scrape writes no session and no request log line', async () => {
    const { logger, lines } = capturingLogger();
    const app = appWith({ METRICS_TOKEN: TOKEN }, { logger });
    const response = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(lines).toEqual([]);
  });
});

describe('content', () => {
  test('requests by method, route pattern and status; the URL itself never becomes a label', async () => {
    const app = appWith({ METRICS_TOKEN: TOKEN });
    await request(app).get(`/products/${productId}`).expect(200);
    await request(app).get('/products/0123456789abcdef01234567').expect(404);
    await request(app).get('/products/not-an-id').expect(404);
    for (let n = 0; n < 20; n++)
      await request(app)
        .get(`/no-such-page-${n}?q=${'x'.repeat(n)}`)
        .expect(404);
    const shopper = request.agent(app);
    const page = await shopper.get('/login').expect(200);
    await shopper
      .post('/login')
      .type('form')
      .send({ _csrf: csrfTokenIn(page.text), email: 'nobody@example.com', password: 'wrong' })
      .expect(422);
    // A route of a router mounted under /admin that passes an error on: still its whole pattern.
    const sellerApp = request.agent(app);
    await logIn(sellerApp, seller.email, seller.password);
    await sellerApp.get('/admin/edit-product/not-an-id').expect(404);

    const text = await scrape(app);
    const requests = (labels: string) => valueOf(text, `shop_http_requests_total{${labels}}`);
    expect(requests('method="GET",route="/products/:productId",status_code="200"')).toBe(1);
    expect(requests('method="GET",route="/products/:productId",status_code="404"')).toBe(2);
    expect(requests('method="GET",route="(none)",status_code="404"')).toBe(20);
    expect(requests('method="POST",route="/login",status_code="422"')).toBe(1);
    expect(requests('method="GET",route="/admin/edit-product/:productId",status_code="404"')).toBe(1);
    expect(
      valueOf(text, 'shop_http_request_duration_seconds_count{method="POST",route="/login",status_code="422"}'),
    ).toBe(1);
    expect(text).toContain('shop_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/login"');
    expect(text).not.toMatch(/no-such-page|not-an-id|0123456789abcdef01234567/);
    // Node's figures: the event loop's lag among them.
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
  });

  test('case variants, unknown paths and hostile input mint no route label and no series', async () => {
    const app = appWith({ METRICS_TOKEN: TOKEN });
    const sellerApp = request.agent(app);
    await logIn(sellerApp, seller.email, seller.password);
    const canonical = [
      '/account',
      '/account/sessions',
      '/account/password',
      '/account/email',
      '/account/delete',
      '/admin/products',
      `/admin/edit-product/${productId}`,
      `/products/${productId}`,
    ];
    /** The series of the request counter: its labels, without the counts. */
    const series = (text: string) =>
      new Set(
        text
          .split('\n')
          .filter((line) => line.startsWith('shop_http_requests_total{'))
          .map((line) => line.split(' ')[0]),
      );
    const routes = (text: string) => new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]));

    // Every kind of request once: the series that exist whatever clients send.
    for (const path of canonical) await sellerApp.get(path).expect(200);
    await sellerApp.get('/account/no-such-page').expect(404);
    await sellerApp.get('/no-such-page').expect(404);
    // The scrape counts itself from the next one on.
    await scrape(app);
    const before = await scrape(app);

    // What a client chooses: every letter's case, trailing slashes, random and hostile paths.
    const variants: string[] = [];
    for (let n = 0; n < 60; n++) {
      const path = canonical[n % canonical.length];
      const cased = [...path].map((char, i) => ((n >> (i % 5)) & 1 ? char.toUpperCase() : char)).join('');
      variants.push(cased, `${cased}/`);
      variants.push(`/${'AcCoUnT'.slice(0, 1 + (n % 7))}/${crypto.randomUUID()}`, `/account/${n}%2F..%00<x>`);
    }
    for (const path of variants) {
      const response = await sellerApp.get(path);
      expect([200, 404]).toContain(response.status);
    }
    const after = await scrape(app);
    expect([...routes(after)].sort()).toEqual([...routes(before)].sort());
    expect([...series(after)].sort()).toEqual([...series(before)].sort());
    // The variants were answered as their route (200), not as unknown pages.
    expect(
      valueOf(after, 'shop_http_requests_total{method="GET",route="/account/sessions",status_code="200"}'),
    ).toBeGreaterThan(10);
  });

  test('active sessions: counted at most once a minute by the clock', async () => {
    let clock = Date.now();
    const app = appWith({ METRICS_TOKEN: TOKEN }, { now: () => clock });
    const live = await new UserSessions(shop.store.database, () => clock).countActive(new Date(clock));
    expect(live).toBeGreaterThan(0);
    expect(valueOf(await scrape(app), 'shop_active_sessions')).toBe(live);

    await newShopper(shop.app, 'counted');
    const recorder = recordCommands(shop.store);
    try {
      clock += 59_000;
      // Within the minute: the last count, and no command sent for it.
      expect(valueOf(await scrape(app), 'shop_active_sessions')).toBe(live);
      expect(recorder.on('sessions')).toEqual([]);
      clock += 1_000;
      expect(valueOf(await scrape(app), 'shop_active_sessions')).toBe(live + 1);
      expect(recorder.on('sessions')).toEqual(['aggregate sessions']);
    } finally {
      recorder.stop();
    }
  });

  test('database failures are counted by command', async () => {
    const app = appWith({ METRICS_TOKEN: TOKEN });
    const before = valueOf(await scrape(app), 'shop_database_command_failures_total{command="find"}') ?? 0;
    // A command the server refuses, through the shop's own clients (mongoose's and the store's).
    await expect(
      mongoose.connection
        .collection('products')
        .find({ price: { $nope: 1 } })
        .toArray(),
    ).rejects.toThrow();
    await expect(shop.store.sessions.find({ expires: { $nope: 1 } }).toArray()).rejects.toThrow();
    const text = await scrape(app);
    expect(valueOf(text, 'shop_database_command_failures_total{command="find"}')).toBe(before + 2);
    expect(text).toContain('# TYPE shop_database_heartbeat_failures_total counter');
  });
});

describe('log events', () => {
  test('the security log: one structured event per line, with who, from where and which session', async () => {
    const { logger, lines } = capturingLogger();
    const app = appWith({}, { logger });
    const agent = request.agent(app);
    await logIn(agent, seller.email, 'a wrong password');
    await logIn(agent, seller.email, seller.password);
    const home = await agent.get('/').expect(200);
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(home.text)?.[1] })
      .expect(302);

    const security = lines.filter((line) => line.log === 'security');
    expect(security.map((line) => line.event)).toEqual(['login-failed', 'login', 'logout']);
    for (const line of security) {
      expect(line).toEqual(
        expect.objectContaining({ level: 30, address: expect.any(String), msg: `security: ${String(line.event)}` }),
      );
    }
    expect(security[1]).toEqual(
      expect.objectContaining({ userId: expect.stringMatching(/^[0-9a-f]{24}$/), session: expect.any(String) }),
    );
  });
});
