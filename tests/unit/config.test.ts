import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectionsCheckingIntervalMs } from '../../src/http/http-server';
import { redactUri } from '../../src/platform/config';
import { configLoader } from '../helpers/config';

// Development keeps what it generates under a data folder: here a temporary one, not the repository's .data/.
const { load, problemsOf, remove } = configLoader('config-test');
afterAll(remove);

test('development defaults need nothing set and generate a session secret', () => {
  const config = load({});
  expect(config).toMatchObject({ env: 'development', port: 3000, isProduction: false, sessionSecretGenerated: true });
  expect(config.sessionSecrets[0]).toHaveLength(64);
  expect(config.mongodbUri).toBeUndefined();
  expect(config.seedDemoData).toBe(true);
  expect(config.embeddedDbPath).toMatch(/\.data[/\\]embedded$/);
  // mongod and the engine never share a folder: their files and lock files differ.
  expect(config.memoryServerDbPath).toMatch(/\.data[/\\]mongod$/);
});

test('production requires MONGODB_URI: it never falls back to the embedded engine', () => {
  const secret = 'x'.repeat(40);
  expect(problemsOf({ NODE_ENV: 'production', SESSION_SECRET: secret })).toEqual([
    expect.stringMatching(/^MONGODB_URI is required when NODE_ENV=production/),
  ]);
  expect(
    problemsOf({ NODE_ENV: 'production', SESSION_SECRET: secret, MONGODB_URI: 'mongodb://db:27017/shop' }),
  ).toEqual([]);
});

test('production requires a strong SESSION_SECRET', () => {
  const uri = 'mongodb://db:27017/shop';
  expect(problemsOf({ NODE_ENV: 'production', MONGODB_URI: uri })).toEqual([
    expect.stringMatching(/SESSION_SECRET is required/),
  ]);
  expect(problemsOf({ NODE_ENV: 'production', SESSION_SECRET: 'short', MONGODB_URI: uri })).toEqual([
    expect.stringMatching(/at least 32 characters/),
  ]);
});

test('a comma-separated SESSION_SECRET rotates: all are kept, the first signs', () => {
  const config = load({ SESSION_SECRET: 'new-secret, old-secret' });
  expect(config.sessionSecrets).toEqual(['new-secret', 'old-secret']);
  expect(config.sessionSecretGenerated).toBe(false);
});

test('every malformed value is reported at once, each with its own message', () => {
  const problems = problemsOf({
    NODE_ENV: 'staging',
    PORT: 'eighty',
    MONGODB_URI: 'postgres://x',
    MONGO_BACKEND: 'docker',
    TRUST_PROXY: 'yes please!',
    BCRYPT_ROUNDS: '40',
  });
  expect(problems).toHaveLength(6);
  expect(problems.join('\n')).toMatch(/NODE_ENV.*PORT.*MONGODB_URI.*MONGO_BACKEND.*TRUST_PROXY.*BCRYPT_ROUNDS/s);
});

test('TRUST_PROXY accepts a hop count, true, or addresses', () => {
  expect(load({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
  expect(load({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  expect(load({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
  expect(load({}).trustProxy).toBe(false);
});

test('SHOP_PROCESS_NAME names the process: unset by default, a short word, nothing else', () => {
  expect(load({}).processName).toBeUndefined();
  expect(load({ SHOP_PROCESS_NAME: 'shop-2' }).processName).toBe('shop-2');
  for (const bad of ['shop 2', 'a'.repeat(65), 'shop\r\nSet-Cookie: x=1', '<b>'])
    expect(problemsOf({ SHOP_PROCESS_NAME: bad })).toEqual([expect.stringMatching(/^SHOP_PROCESS_NAME must be/)]);
});

test('with MONGODB_URI no demo data is seeded unless asked', () => {
  expect(load({ MONGODB_URI: 'mongodb://db.example/shop' }).seedDemoData).toBe(false);
  expect(load({ MONGODB_URI: 'mongodb://db.example/shop', SEED_DEMO_DATA: 'true' }).seedDemoData).toBe(true);
});

test('redactUri hides the password', () => {
  expect(redactUri('mongodb+srv://shop:s3cr3t@cluster.example.net/shop')).toBe(
    'mongodb+srv://shop:****@cluster.example.net/shop',
  );
  expect(redactUri('mongodb://127.0.0.1:27017/shop')).toBe('mongodb://127.0.0.1:27017/shop');
});

test('database waits and the shutdown bound: defaults, overrides and bad values', () => {
  expect(load({}).database).toEqual({
    connectTimeoutMs: 10_000,
    connectRetries: 0,
    connectRetryDelayMs: 1000,
    requestTimeoutMs: 5000,
  });
  expect(load({}).shutdownTimeoutMs).toBe(10_000);
  const config = load({
    DB_CONNECT_TIMEOUT_MS: '2500',
    DB_CONNECT_RETRIES: '5',
    DB_CONNECT_RETRY_DELAY_MS: '250',
    DB_REQUEST_TIMEOUT_MS: '1500',
    SHUTDOWN_TIMEOUT_MS: '30000',
  });
  expect(config.database).toEqual({
    connectTimeoutMs: 2500,
    connectRetries: 5,
    connectRetryDelayMs: 250,
    requestTimeoutMs: 1500,
  });
  expect(config.shutdownTimeoutMs).toBe(30_000);
  const problems = problemsOf({
    DB_CONNECT_TIMEOUT_MS: '0',
    DB_CONNECT_RETRIES: '-1',
    DB_CONNECT_RETRY_DELAY_MS: 'soon',
    DB_REQUEST_TIMEOUT_MS: '5s',
    SHUTDOWN_TIMEOUT_MS: '1e4',
  });
  expect(problems).toHaveLength(5);
  expect(problems.join('\n')).toMatch(
    /DB_CONNECT_TIMEOUT_MS.*DB_CONNECT_RETRIES.*DB_CONNECT_RETRY_DELAY_MS.*DB_REQUEST_TIMEOUT_MS.*SHUTDOWN_TIMEOUT_MS/s,
  );
});

test('HOST: this machine only outside production, every interface in production; addresses only', () => {
  const production = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), MONGODB_URI: 'mongodb://db:27017/shop' };
  expect(load({}).host).toBe('127.0.0.1');
  expect(load({ NODE_ENV: 'test' }).host).toBe('127.0.0.1');
  expect(load(production).host).toBeUndefined();
  expect(load({ ...production, HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  for (const host of ['0.0.0.0', '::', '::1', '192.0.2.2', 'localhost']) expect(load({ HOST: host }).host).toBe(host);
  for (const host of ['*', 'example.com', '0.0.0.0:3000', '256.1.1.1', 'http://127.0.0.1']) {
    expect(problemsOf({ HOST: host })).toEqual([expect.stringMatching(/^HOST must be an address of this machine/)]);
  }
});

test('HTTP timeouts: defaults, overrides, bad values; a half-sent header block is cut within 30 s', () => {
  const defaults = load({}).http;
  expect(defaults).toEqual({ headersTimeoutMs: 20_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 5_000 });
  // Cut at the headers timeout, noticed at Node's next check of the connections.
  expect(defaults.headersTimeoutMs + connectionsCheckingIntervalMs(defaults)).toBeLessThanOrEqual(30_000);
  const short = load({
    HTTP_HEADERS_TIMEOUT_MS: '1000',
    HTTP_REQUEST_TIMEOUT_MS: '2000',
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '7000',
  }).http;
  expect(short).toEqual({ headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 7000 });
  expect(connectionsCheckingIntervalMs(short)).toBe(250);
  expect(
    problemsOf({ HTTP_HEADERS_TIMEOUT_MS: '0', HTTP_REQUEST_TIMEOUT_MS: '1m', HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' }),
  ).toEqual([
    expect.stringMatching(/^HTTP_HEADERS_TIMEOUT_MS must be a whole number/),
    expect.stringMatching(/^HTTP_REQUEST_TIMEOUT_MS must be a whole number/),
    expect.stringMatching(/^HTTP_KEEP_ALIVE_TIMEOUT_MS must be a whole number/),
  ]);
  expect(problemsOf({ HTTP_HEADERS_TIMEOUT_MS: '30000', HTTP_REQUEST_TIMEOUT_MS: '20000' })).toEqual([
    expect.stringMatching(/HTTP_HEADERS_TIMEOUT_MS \(30000\) must not be above HTTP_REQUEST_TIMEOUT_MS \(20000\)/),
  ]);
});

test('the product cache time: a second by default, 0 turns it off, bad values are named', () => {
  expect(load({}).catalogCacheMs).toBe(1000);
  expect(load({ CATALOG_CACHE_MS: '0' }).catalogCacheMs).toBe(0);
  expect(load({ CATALOG_CACHE_MS: '250' }).catalogCacheMs).toBe(250);
  for (const bad of ['-1', '1s', '60001']) {
    expect(problemsOf({ CATALOG_CACHE_MS: bad })).toEqual([
      `CATALOG_CACHE_MS must be a whole number from 0 to 60000 (got "${bad}")`,
    ]);
  }
});

test('the lease of an order being placed: half a minute by default, from 0 to an hour', () => {
  expect(load({}).pendingOrderLeaseMs).toBe(30_000);
  expect(load({ PENDING_ORDER_LEASE_MS: '50' }).pendingOrderLeaseMs).toBe(50);
  for (const bad of ['-1', '30s', '3600001']) {
    expect(problemsOf({ PENDING_ORDER_LEASE_MS: bad })).toEqual([
      `PENDING_ORDER_LEASE_MS must be a whole number from 0 to 3600000 (got "${bad}")`,
    ]);
  }
});

test('photo decoding: two at once and eight waiting by default, bad values are named', () => {
  expect(load({}).photoDecoding).toEqual({ concurrency: 2, queue: 8 });
  expect(load({ PHOTO_DECODE_CONCURRENCY: '1', PHOTO_DECODE_QUEUE: '0' }).photoDecoding).toEqual({
    concurrency: 1,
    queue: 0,
  });
  expect(problemsOf({ PHOTO_DECODE_CONCURRENCY: '0', PHOTO_DECODE_QUEUE: 'many' })).toEqual([
    'PHOTO_DECODE_CONCURRENCY must be a whole number from 1 to 64 (got "0")',
    'PHOTO_DECODE_QUEUE must be a whole number from 0 to 1000 (got "many")',
  ]);
});

test('a touch interval at or above the idle timeout is refused', () => {
  expect(problemsOf({ SESSION_IDLE_MINUTES: '1', SESSION_TOUCH_SECONDS: '60' })).toEqual([
    expect.stringMatching(/SESSION_TOUCH_SECONDS \(60\) must be below the idle timeout, SESSION_IDLE_MINUTES/),
  ]);
  expect(problemsOf({ SESSION_IDLE_MINUTES: '1', SESSION_TOUCH_SECONDS: '120' })).toHaveLength(1);
  expect(problemsOf({ SESSION_IDLE_MINUTES: '1', SESSION_TOUCH_SECONDS: '59' })).toEqual([]);
});

test('SESSION_REAUTH_MINUTES: how long a login counts as fresh for sensitive changes, 10 minutes by default', () => {
  expect(load({}).session.freshLoginMs).toBe(10 * 60_000);
  expect(load({ SESSION_REAUTH_MINUTES: '3' }).session.freshLoginMs).toBe(3 * 60_000);
  expect(problemsOf({ SESSION_REAUTH_MINUTES: '0' })).toEqual([
    'SESSION_REAUTH_MINUTES must be a whole number from 1 to 1440 (got "0")',
  ]);
  expect(problemsOf({ SESSION_REAUTH_MINUTES: 'ten' })).toHaveLength(1);
});

test('without SESSION_SECRET, development keeps one generated secret across restarts', () => {
  const own = fs.mkdtempSync(path.join(os.tmpdir(), 'config-secret-'));
  try {
    const first = load({}, { dataDir: own });
    const second = load({}, { dataDir: own });
    expect(first.sessionSecretGenerated).toBe(true);
    expect(first.sessionSecrets[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(second.sessionSecrets).toEqual(first.sessionSecrets);
    // Readable by its owner only.
    expect(fs.statSync(path.join(own, 'session-secret')).mode & 0o077).toBe(0);
    // Tests get a fresh one each time and write nothing.
    expect(load({ NODE_ENV: 'test' }, { dataDir: own }).sessionSecrets).not.toEqual(first.sessionSecrets);
  } finally {
    fs.rmSync(own, { recursive: true, force: true });
  }
});

test('the crash test hook SHOP_TEST_CRASH_AT: only with NODE_ENV=test, only a known step', () => {
  expect(load({}).testCrashAt).toBeUndefined();
  expect(load({ NODE_ENV: 'test', SHOP_TEST_CRASH_AT: 'after-claim' }).testCrashAt).toBe('after-claim');
  for (const env of ['development', 'production']) {
    expect(
      problemsOf({
        NODE_ENV: env,
        SESSION_SECRET: 'a-production-secret-that-is-long-enough',
        MONGODB_URI: 'mongodb://db.example/shop',
        SHOP_TEST_CRASH_AT: 'after-claim',
      }),
    ).toEqual(['SHOP_TEST_CRASH_AT is a test hook: it is only accepted with NODE_ENV=test']);
  }
  expect(problemsOf({ NODE_ENV: 'test', SHOP_TEST_CRASH_AT: 'whenever' })).toEqual([
    'SHOP_TEST_CRASH_AT must be one of after-claim, after-stock, after-order, after-clear, after-short-return, after-cancel, after-user-deleted (got "whenever")',
  ]);
});

test('ADMIN_EMAILS: unset, no admin; a comma-separated list, lower case, each once; anything else refused', () => {
  expect(load({}).adminEmails).toEqual([]);
  expect(load({ ADMIN_EMAILS: ' Owner@Example.com, boss@example.org,owner@example.com ,' }).adminEmails).toEqual([
    'owner@example.com',
    'boss@example.org',
  ]);
  expect(problemsOf({ ADMIN_EMAILS: 'owner@example.com, not-an-address' })).toEqual([
    'ADMIN_EMAILS must be email addresses separated by commas (got "not-an-address")',
  ]);
});

test('METRICS_TOKEN: unset, /metrics is off; set, at least 32 visible characters, and never echoed', () => {
  expect(load({}).metrics).toBeUndefined();
  const token = 'k'.repeat(31) + '-';
  expect(load({ METRICS_TOKEN: token }).metrics).toEqual({ token });
  for (const bad of ['short-token', `${'k'.repeat(20)} ${'k'.repeat(20)}`, `${'k'.repeat(40)}é`]) {
    const problems = problemsOf({ METRICS_TOKEN: bad });
    expect(problems).toEqual([expect.stringMatching(/^METRICS_TOKEN must be at least 32 visible ASCII characters/)]);
    expect(problems[0]).not.toContain(bad);
  }
});
