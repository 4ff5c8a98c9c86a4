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
import { MongoClient, ObjectId, type Collection } from 'mongodb';
import { MongoSessionStore, SESSIONS_COLLECTION, type SessionDocument } from '../src/sessions/mongo-session-store';
import {
  freePort,
  residentBytes,
  ROOT,
  sleep,
  startChild,
  startEngine,
  waitForHttp,
  type Child,
} from './bench/processes';
import { seedShop, type BenchUser } from './bench/seed';
import { csrfTokenIn, expectStatus, PROXY_HEADERS, ShopClient } from './bench/shop-client';
import { problemsOf, runScenario, type Scenario, type ScenarioResult } from './bench/load-run';
import { compareLookups, createSessions, fillSessions } from './bench/sessions';
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
const IDLE_MS = 120 * 60_000;
const VISITOR_CONCURRENCY = 32;
const LOOKUPS = 3_000;
const SMALL_LOOKUP_SESSIONS = 1_000;

const children: Child[] = [];
/** The shop's cookie secret; the floor server verifies the same cookies with it. */
const SESSION_SECRET = crypto.randomBytes(32).toString('hex');

async function main(): Promise<void> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
  let client: MongoClient | undefined;
  let store: MongoSessionStore | undefined;
  let smallStore: MongoSessionStore | undefined;
  try {
    console.log(
      `npm run bench: ${options.connections} connections, ${options.durationSeconds} s per run, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}`,
    );

    const engine = await startEngine(await freePort(), path.join(tempDir, 'db'), cpuProfFlags('engine'));
    children.push(engine.child);
    const uri = `${engine.uri}/shop`;
    client = await MongoClient.connect(uri);
    const db = client.db();
    const users = await seedShop(db, { products: options.products, users: BENCH_USERS, bcryptRounds: BCRYPT_ROUNDS });
    console.log(
      `engine: ${engine.uri} (own process, data in a temporary directory); seeded ${options.products} products, ${users.length} users`,
    );

    const shopUrl = await startShop(uri);
    const shop = new ShopClient(shopUrl);

    // The products the real page shows, in its order: the ceiling renders exactly these.
    const anonymous = await shop.request('GET', '/products');
    expectStatus(anonymous, 200, 'GET /products');
    const shown = productIdsIn(anonymous.body);
    if (shown.length === 0) throw new Error('GET /products shows no product');
    const records = await db
      .collection('products')
      .find({ _id: { $in: shown.map((id) => new ObjectId(id)) } })
      .toArray();
    const byId = new Map(
      records.map((record) => [record._id.toHexString(), { ...record, _id: record._id.toHexString() }]),
    );
    const productsFile = path.join(tempDir, 'products.json');
    fs.writeFileSync(productsFile, JSON.stringify(shown.map((id) => byId.get(id))));
    const ceilingUrl = await startCeiling(productsFile, options.products);
    const floorUrl = await startFloor(uri, productsFile, options.products);
    const ceilingPage = await new ShopClient(ceilingUrl).request('GET', '/products');
    expectStatus(ceilingPage, 200, 'the ceiling');
    const sameHtml = ceilingPage.body === anonymous.body;
    console.log(
      `GET /products shows ${shown.length} products; the ceiling renders the same ${shown.length}${sameHtml ? ', byte for byte the same page' : " (WARNING: its page differs from the shop's anonymous page)"}`,
    );

    // A real login, and the checks that make the load runs mean what they say.
    const cookie = await shop.logIn(users[0].email, users[0].password);
    const listPage = await shop.request('GET', '/products', { cookie });
    expectStatus(listPage, 200, 'GET /products logged in');
    if (!listPage.body.includes('action="/logout"'))
      throw new Error('GET /products with the session cookie does not show a logged-in page');
    const csrf = csrfTokenIn(listPage.body);
    const floorPage = await new ShopClient(floorUrl).request('GET', '/products', { cookie });
    expectStatus(floorPage, 200, 'the floor');
    console.log(
      `the floor renders ${floorPage.body === listPage.body ? "byte for byte the shop's logged-in page" : "a page that differs from the shop's logged-in page (WARNING)"}`,
    );
    const productPath = `/products/${shown[0]}`;
    expectStatus(await shop.request('GET', productPath, { cookie }), 200, `GET ${productPath}`);
    const cartForm = { _csrf: csrf, productId: shown[0] };
    const added = await shop.request('POST', '/cart', { cookie, form: cartForm });
    expectStatus(added, 302, 'POST /cart');
    if (added.headers.location !== '/cart')
      throw new Error(`POST /cart redirected to ${added.headers.location}, not /cart`);
    shop.close();

    const headers = { ...PROXY_HEADERS };
    const withSession = { ...headers, cookie };
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
        processes: Object.fromEntries(children.map((child) => [child.name.replace(/^the /, ''), child.pid])),
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
      const sessions = db.collection<SessionDocument>(SESSIONS_COLLECTION);
      memory = await measureMemory(shopUrl, users, sessions);

      // The lookup time at two sizes: the shop's collection, filled up to --lookup-sessions, and one
      // of 1,000 sessions in a database of its own on the same engine, measured in alternation.
      const smallDb = 'shop_lookup_small';
      const storeFor = (databaseName: string) =>
        new MongoSessionStore({ uri, databaseName, idleTimeoutMs: IDLE_MS, touchIntervalMs: 60_000 });
      smallStore = storeFor(smallDb);
      store = storeFor('shop');
      await Promise.all([smallStore.ready(), store.ready()]);
      const smallSessions = client.db(smallDb).collection<SessionDocument>(SESSIONS_COLLECTION);
      const smallIds = await fillSessions(smallSessions, users, SMALL_LOOKUP_SESSIONS, IDLE_MS);
      const bigIds = await fillSessions(sessions, users, options.lookupSessions, IDLE_MS);
      process.stdout.write(
        `session lookup: ${LOOKUPS.toLocaleString('en')} store.get at ${SMALL_LOOKUP_SESSIONS.toLocaleString('en')} and at ${(await sessions.countDocuments({})).toLocaleString('en')} sessions ... `,
      );
      const { small, big } = await compareLookups(
        { store: smallStore, ids: smallIds, sessions: await smallSessions.countDocuments({}) },
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
    await client?.close();
    for (const child of children.reverse()) await child.stop();
    fs.rmSync(tempDir, { recursive: true, force: true });
    printProfiles();
  }
}

async function startShop(uri: string): Promise<string> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
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
  const shop = startChild('the shop', 'src/server.ts', [], env, cpuProfFlags('shop'));
  children.push(shop);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(shop, `${url}/products`, { ...PROXY_HEADERS });
  console.log(`shop: ${url}, NODE_ENV=production (view cache on), pid ${shop.pid}`);
  return url;
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

/** The floor, (f): scripts/bench/floor-server.ts on the shop's database, with the shop's secret. */
async function startFloor(uri: string, productsFile: string, totalProducts: number): Promise<string> {
  const port = await freePort();
  const floor = startChild(
    'the floor',
    'scripts/bench/floor-server.ts',
    ['--port', String(port), '--uri', uri, '--products', productsFile, '--total', String(totalProducts)],
    { ...process.env, NODE_ENV: 'production', SESSION_SECRET },
    cpuProfFlags('floor'),
  );
  children.push(floor);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(floor, `${url}/products`);
  return url;
}

async function startCeiling(productsFile: string, totalProducts: number): Promise<string> {
  const port = await freePort();
  const ceiling = startChild(
    'the ceiling',
    'scripts/bench/ceiling-server.ts',
    ['--port', String(port), '--products', productsFile, '--total', String(totalProducts)],
    {
      ...process.env,
      NODE_ENV: 'production',
    },
  );
  children.push(ceiling);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(ceiling, `${url}/products`);
  return url;
}

/** The shop's resident memory before and after `options.sessions` real logins, each after a short settle. */
async function measureMemory(
  shopUrl: string,
  users: BenchUser[],
  sessions: Collection<SessionDocument>,
): Promise<BenchReport['memory']> {
  const shop = children.find((child) => child.name === 'the shop')!;
  await sleep(3000);
  const before = residentBytes(shop.pid);
  const sessionsBefore = await sessions.countDocuments({});
  process.stdout.write(
    `memory: ${options.sessions.toLocaleString('en')} fresh visitors open the login page, one in ${options.loginEvery} logs in ... `,
  );
  const creation = await createSessions(
    shopUrl,
    users,
    { count: options.sessions, loginEvery: options.loginEvery, concurrency: VISITOR_CONCURRENCY },
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

function productIdsIn(html: string): string[] {
  const ids = [...html.matchAll(/href="\/products\/([0-9a-f]{24})"/g)].map((match) => match[1]);
  return [...new Set(ids)];
}

let interrupted = false;
const cleanUpAndExit = (code: number) => {
  Promise.allSettled(children.map((child) => child.stop())).finally(() => process.exit(code));
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
