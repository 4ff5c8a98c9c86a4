/**
 * npm run bench: the shop against its own ceiling, in one run (see README, Performance).
 *
 * Starts the embedded engine (its own process, a temporary data directory), seeds 1,000 products,
 * starts the shop in production mode and the ceiling server (each its own process), then drives
 * each page with autocannon: (a) the ceiling, (b) GET /products anonymous, (c) logged in,
 * (d) a product page logged in, (e) POST /cart logged in, and (f) the floor: only the two reads every
 * logged-in page must make and the same render (scripts/bench/floor-server.ts). Then memory: the shop's resident memory
 * before and after 50,000 sessions made over HTTP by fresh visitors (one in five logs in); and the
 * session lookup time at 1,000 and at 100,000 sessions. Figures are printed and written to
 * bench-results/bench-<time>.json.
 *
 * Options: --duration S (10), --connections N (50), --products N (1,000), --sessions N (50,000),
 * --login-every N (5), --lookup-sessions N (100,000), --quick (3 s runs, 5,000 and 10,000
 * sessions), --only a,c,e (those runs, no memory part), --cpu-prof DIR (the shop, the engine and the floor
 * run under node --cpu-prof; their top functions are printed at the end).
 * Exits with 1 when any run saw an error, a timeout or an unexpected status.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import type { Collection } from 'mongodb';
import { Product } from '../src/catalog/product.model';
import { loadConfig } from '../src/platform/config';
import { MongoSessionStore, type SessionDocument } from '../src/sessions/mongo-session-store';
import { sessionCookie } from '../src/sessions/session-cookie';
import { csrfTokenIn, productIdsIn, showsLogout } from '../tools/html';
import {
  freePort,
  residentBytes,
  ROOT,
  sleep,
  spawnTs,
  startEngineProcess,
  startShopProcess,
  waitForHttp,
  type ChildHandle,
  type ShopProcess,
} from '../tools/processes';
import { expectStatus, HTTPS_PROXY_HEADERS, ShopClient } from '../tools/shop-client';
import { seedShop, type BenchUser } from './bench/seed';
import { problemsOf, runScenario, type Scenario, type ScenarioResult } from './bench/load-run';
import { compareLookups, createSessions, fillSessions, openLoginPage, submitLogin } from './bench/sessions';
import { printResults, TARGETS, verdicts, type BenchReport } from './bench/report';
import { printProfile } from './bench/profile-summary';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
    products: { type: 'string' },
    sessions: { type: 'string' },
    'lookup-sessions': { type: 'string' },
    'login-every': { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (args.help) {
  console.log(
    'usage: npm run bench -- [--duration 10] [--connections 50] [--products 1000] [--sessions 50000] [--login-every 5] [--lookup-sessions 100000] [--quick] [--only a,b,c,d,e] [--cpu-prof DIR]',
  );
  process.exit(0);
}

function count(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    process.exit(2);
  }
  return value;
}

const options = {
  durationSeconds: count('duration', args.duration, args.quick ? 3 : 10, 1, 600),
  connections: count('connections', args.connections, 50, 1, 1000),
  products: count('products', args.products, 1_000, 1, 100_000),
  // The per-address login limit (LOGIN_RATE_LIMIT_PER_IP) allows at most 100,000 a minute.
  sessions: count('sessions', args.sessions, args.quick ? 5_000 : 50_000, 0, 90_000),
  loginEvery: count('login-every', args['login-every'], 5, 1, 1_000_000),
  lookupSessions: count('lookup-sessions', args['lookup-sessions'], args.quick ? 10_000 : 100_000, 1_000, 1_000_000),
  only: args.only?.split(',').map((key) => key.trim()),
  cpuProfDir: args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined,
};
const runMemoryPart = options.only === undefined;

const BENCH_USERS = 5;
const BCRYPT_ROUNDS = 4;
const VISITOR_CONCURRENCY = 32;
const LOOKUPS = 3_000;
const SMALL_LOOKUP_SESSIONS = 1_000;
/** A stop that hangs ends in SIGKILL. */
const KILL_AFTER_MS = 10_000;

const children: ChildHandle[] = [];
/** The shop's cookie secret; the floor server verifies the same cookies with it. */
const SESSION_SECRET = crypto.randomBytes(32).toString('hex');

async function main(): Promise<void> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
  let store: MongoSessionStore | undefined;
  let smallStore: MongoSessionStore | undefined;
  try {
    console.log(
      `npm run bench: ${options.connections} connections, ${options.durationSeconds} s per run, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}`,
    );

    const engine = await startEngineProcess({ dbPath: path.join(tempDir, 'db'), nodeFlags: cpuProfFlags('engine') });
    children.push(engine);
    const uri = engine.uri;
    const shopEnv = shopEnvironment(uri);
    // The shop's own configuration: its session lifetimes and cookie, for the sessions written here.
    const config = loadConfig(shopEnv);
    const cookie = sessionCookie(config);
    const cookieOptions = { ...cookie.options, maxAge: config.session.idleTimeoutMs };
    const storeFor = (databaseName: string) =>
      new MongoSessionStore({
        uri,
        databaseName,
        idleTimeoutMs: config.session.idleTimeoutMs,
        touchIntervalMs: config.session.touchIntervalMs,
      });
    await mongoose.connect(uri);
    store = storeFor(mongoose.connection.name);
    await store.ready();
    const users = await seedShop({
      products: options.products,
      users: BENCH_USERS,
      bcryptRounds: config.bcryptRounds,
      sessionStore: store,
    });
    console.log(
      `engine: ${uri.slice(0, uri.lastIndexOf('/'))} (own process, data in a temporary directory); seeded ${options.products} products, ${users.length} users`,
    );

    const shop = await startShopProcess(shopEnv, { nodeFlags: cpuProfFlags('shop') });
    children.push(shop);
    console.log(`shop: ${shop.url}, NODE_ENV=production (view cache on), pid ${shop.pid}`);
    const shopUrl = shop.url;

    // The products the real page shows, in its order: the ceiling renders exactly these.
    const anonymous = await getPage(shopUrl, '/products', {}, 'GET /products');
    const shown = productIdsIn(anonymous.body);
    if (shown.length === 0) throw new Error('GET /products shows no product');
    const records = await Product.find({ _id: { $in: shown } }).lean();
    const byId = new Map(
      records.map((record) => [record._id.toHexString(), { ...record, _id: record._id.toHexString() }]),
    );
    const productsFile = path.join(tempDir, 'products.json');
    fs.writeFileSync(productsFile, JSON.stringify(shown.map((id) => byId.get(id))));
    const ceilingUrl = await startServer('ceiling', 'scripts/bench/ceiling-server.ts', [
      '--products',
      productsFile,
      '--total',
      String(options.products),
    ]);
    const floorUrl = await startServer(
      'floor',
      'scripts/bench/floor-server.ts',
      ['--uri', uri, '--products', productsFile, '--total', String(options.products)],
      { SESSION_SECRET },
      cpuProfFlags('floor'),
    );
    const ceilingPage = await getPage(ceilingUrl, '/products', {}, 'the ceiling');
    const sameHtml = ceilingPage.body === anonymous.body;
    console.log(
      `GET /products shows ${shown.length} products; the ceiling renders the same ${shown.length}${sameHtml ? ', byte for byte the same page' : " (WARNING: its page differs from the shop's anonymous page)"}`,
    );

    // A real login, and the checks that make the load runs mean what they say.
    const shopper = new ShopClient(shopUrl, { behindHttpsProxy: true });
    await openLoginPage(shopper, cookie.name);
    await submitLogin(shopper, users[0].email, users[0].password);
    const listPage = await shopper.get('/products');
    expectStatus(listPage, 200, 'GET /products logged in');
    if (!showsLogout(listPage.body))
      throw new Error('GET /products with the session cookie does not show a logged-in page');
    const csrf = csrfTokenIn(listPage.body);
    const sessionHeader = shopper.cookieHeader();
    const floorPage = await getPage(floorUrl, '/products', { cookie: sessionHeader }, 'the floor');
    console.log(
      `the floor renders ${floorPage.body === listPage.body ? "byte for byte the shop's logged-in page" : "a page that differs from the shop's logged-in page (WARNING)"}`,
    );
    const productPath = `/products/${shown[0]}`;
    expectStatus(await shopper.get(productPath), 200, `GET ${productPath}`);
    const cartForm = { _csrf: csrf, productId: shown[0] };
    const added = await shopper.request('POST', '/cart', { form: cartForm });
    expectStatus(added, 302, 'POST /cart');
    if (added.location !== '/cart') throw new Error(`POST /cart redirected to ${added.location}, not /cart`);
    shopper.close();

    const headers = { ...HTTPS_PROXY_HEADERS };
    const withSession = { ...headers, cookie: sessionHeader };
    const scenarios: Scenario[] = [
      {
        key: 'a',
        label: 'ceiling: product list, in memory',
        url: `${ceilingUrl}/products`,
        headers,
        expectedStatus: 200,
      },
      { key: 'b', label: 'GET /products anonymous', url: `${shopUrl}/products`, headers, expectedStatus: 200 },
      {
        key: 'c',
        label: 'GET /products logged in',
        url: `${shopUrl}/products`,
        headers: withSession,
        expectedStatus: 200,
      },
      {
        key: 'd',
        label: `GET /products/:id logged in`,
        url: `${shopUrl}${productPath}`,
        headers: withSession,
        expectedStatus: 200,
      },
      {
        key: 'e',
        label: 'POST /cart logged in',
        url: `${shopUrl}/cart`,
        method: 'POST',
        headers: { ...withSession, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(cartForm).toString(),
        expectedStatus: 302,
      },
      {
        key: 'f',
        label: 'floor: the two reads + the render',
        url: `${floorUrl}/products`,
        headers: withSession,
        expectedStatus: 200,
      },
    ];

    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      if (options.only && !options.only.includes(scenario.key)) continue;
      process.stdout.write(`(${scenario.key}) ${scenario.label} ... `);
      const result = await runScenario(scenario, {
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        warmupSeconds: Math.min(2, options.durationSeconds),
        processes: Object.fromEntries(children.map((child) => [child.name, child.pid])),
      });
      results.push(result);
      console.log(
        `${Math.round(result.requestsPerSecond)} req/s${problemsOf(result) ? `  FAILED: ${problemsOf(result)}` : ''}`,
      );
    }
    const ceiling = results.find((r) => r.key === 'a');
    for (const result of results)
      if (ceiling) result.ratioToCeiling = result.requestsPerSecond / ceiling.requestsPerSecond;

    let memory: BenchReport['memory'];
    let lookups: BenchReport['lookups'];
    if (runMemoryPart) {
      const sessions = store.sessions;
      memory = await measureMemory(shop, users, sessions, cookie.name);

      // The lookup time at two sizes: the shop's collection, filled up to --lookup-sessions, and one
      // of 1,000 sessions in a database of its own on the same engine, measured in alternation.
      smallStore = storeFor('shop_lookup_small');
      await smallStore.ready();
      const bigSize = Math.max(options.lookupSessions, await sessions.countDocuments({}));
      process.stdout.write(
        `session lookup: ${LOOKUPS.toLocaleString('en')} store.get at ${SMALL_LOOKUP_SESSIONS.toLocaleString('en')} and at ${bigSize.toLocaleString('en')} sessions (written through the store) ... `,
      );
      const smallIds = await fillSessions(smallStore, users, SMALL_LOOKUP_SESSIONS, cookieOptions);
      const bigIds = await fillSessions(store, users, options.lookupSessions, cookieOptions);
      const { small, big } = await compareLookups(
        { store: smallStore, ids: smallIds, sessions: await smallStore.sessions.countDocuments({}) },
        { store, ids: bigIds, sessions: await sessions.countDocuments({}) },
        LOOKUPS,
      );
      console.log(`median ${small.medianMs.toFixed(3)} ms and ${big.medianMs.toFixed(3)} ms`);
      lookups = { small, big, ratio: big.medianMs / small.medianMs };
    }

    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        node: process.version,
        loadAverage: os.loadavg(),
      },
      options: { ...options, productsOnPage: shown.length, ceilingSameHtml: sameHtml },
      scenarios: results,
      memory,
      lookups,
      targets: TARGETS,
      verdicts: [],
    };
    report.verdicts = verdicts(report);
    printResults(report);

    const outDir = path.join(ROOT, 'bench-results');
    fs.mkdirSync(outDir, { recursive: true });
    const outFile = path.join(outDir, `bench-${report.date.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nfigures written to ${path.relative(process.cwd(), outFile)}`);

    const failed = results.filter((r) => problemsOf(r) !== undefined);
    if (failed.length > 0) {
      throw new Error(
        `runs with errors or unexpected responses: ${failed.map((r) => `(${r.key}) ${problemsOf(r)}`).join('; ')}`,
      );
    }
  } finally {
    await store?.close();
    await smallStore?.close();
    await mongoose.disconnect();
    for (const child of children.reverse()) await child.stop('SIGTERM', KILL_AFTER_MS);
    fs.rmSync(tempDir, { recursive: true, force: true });
    printProfiles();
  }
}

/** The shop's environment: production behind one TLS proxy hop, as the bench talks to it. */
function shopEnvironment(uri: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    MONGODB_URI: uri,
    SESSION_SECRET,
    // The bench talks to the shop as a TLS-terminating proxy would: the __Host- cookie needs HTTPS.
    TRUST_PROXY: '1',
    // Tens of thousands of logins from one address, at the lowest hashing cost.
    BCRYPT_ROUNDS: String(BCRYPT_ROUNDS),
    LOGIN_RATE_LIMIT_PER_IP: '100000',
    LOGIN_RATE_LIMIT_WINDOW_MINUTES: '1',
    LOG_LEVEL: 'warn',
    SEED_DEMO_DATA: 'false',
  };
}

/** One page, fetched once by a fresh browser behind the proxy; it must answer 200. */
async function getPage(baseUrl: string, pagePath: string, headers: Record<string, string>, what: string) {
  const browser = new ShopClient(baseUrl, { behindHttpsProxy: true, headers });
  try {
    const page = await browser.get(pagePath);
    expectStatus(page, 200, what);
    return page;
  } finally {
    browser.close();
  }
}

/** node --cpu-prof for a process, its profile in a folder of its own (written when it exits). */
function cpuProfFlags(name: string): string[] {
  return options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(options.cpuProfDir, name)] : [];
}

/** The main thread's profile of each profiled process (the largest file: tsx's loader thread has its own). */
function printProfiles(): void {
  if (!options.cpuProfDir) return;
  for (const name of ['shop', 'engine', 'floor']) {
    const dir = path.join(options.cpuProfDir, name);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).map((file) => path.join(dir, file)) : [];
    const main = files.sort((x, y) => fs.statSync(y).size - fs.statSync(x).size)[0];
    if (!main) continue;
    console.log(`\n${name}: ${path.relative(process.cwd(), main)}`);
    printProfile(main, 20);
  }
}

/**
 * The ceiling (a) or the floor (f), a process of its own in production mode on a free port:
 * scripts/bench/ceiling-server.ts, or scripts/bench/floor-server.ts on the shop's database with its secret.
 */
async function startServer(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string> = {},
  nodeFlags: string[] = [],
): Promise<string> {
  const port = await freePort();
  const server = spawnTs(file, {
    name,
    args: ['--port', String(port), ...args],
    env: { ...process.env, NODE_ENV: 'production', ...env },
    nodeFlags,
  });
  children.push(server);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(server, `${url}/products`);
  return url;
}

/** The shop's resident memory before and after `options.sessions` real logins, each after a short settle. */
async function measureMemory(
  shop: ShopProcess,
  users: BenchUser[],
  sessions: Collection<SessionDocument>,
  cookieName: string,
): Promise<BenchReport['memory']> {
  await sleep(3000);
  const before = residentBytes(shop.pid);
  const sessionsBefore = await sessions.countDocuments({});
  process.stdout.write(
    `memory: ${options.sessions.toLocaleString('en')} fresh visitors open the login page, one in ${options.loginEvery} logs in ... `,
  );
  const creation = await createSessions(
    shop.url,
    users,
    { count: options.sessions, loginEvery: options.loginEvery, concurrency: VISITOR_CONCURRENCY, cookieName },
    (done) => {
      if (done % 10_000 === 0) process.stdout.write(`${done.toLocaleString('en')} `);
    },
  );
  console.log(`done in ${creation.seconds.toFixed(1)} s (${Math.round(creation.perSecond)} sessions/s)`);
  await sleep(3000);
  const after = residentBytes(shop.pid);
  const sessionsAfter = await sessions.countDocuments({});
  return {
    sessionsCreated: creation.sessions,
    logins: creation.logins,
    sessionsInMongoDB: { before: sessionsBefore, after: sessionsAfter },
    seconds: creation.seconds,
    rssBeforeMB: before / 2 ** 20,
    rssAfterMB: after / 2 ** 20,
    growthMB: (after - before) / 2 ** 20,
  };
}

let interrupted = false;
const cleanUpAndExit = (code: number) => {
  Promise.allSettled(children.map((child) => child.stop('SIGTERM', KILL_AFTER_MS))).finally(() => process.exit(code));
};
process.once('SIGINT', () => {
  interrupted = true;
  cleanUpAndExit(130);
});

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (interrupted) return;
    console.error(`\nnpm run bench FAILED: ${error instanceof Error ? error.message : String(error)}`);
    cleanUpAndExit(1);
  },
);
