/**
 * npm run bench: the shop against its own ceiling and its peers, in one run (docs/performance.md).
 *
 * Starts the embedded engine (its own process, a temporary data directory), seeds 1,000 products,
 * starts the shop in production mode, the ceiling, the floor and the two peers (each its own
 * process), then drives each page with autocannon: (a) the ceiling, (b) GET /products anonymous,
 * (c) logged in, (d) a product page logged in, (e) POST /cart logged in, (f) the floor: only the
 * two reads every logged-in page must make and the same render (scripts/bench/floor-server.ts),
 * (g) the course's pattern (scripts/bench/peer-course-server.ts) and (h) connect-mongo + passport
 * (scripts/bench/peer-passport-server.ts), each logged in through its own login route, and (c20):
 * (c) at 20 connections, for the p99 target. (b), (c), (g) and (h) are measured in alternation,
 * slice by slice. Then memory: the shop's resident memory before and after 50,000 fresh visitors
 * open the login page over HTTP (one in five logs in, leaving a session); and the session lookup
 * time at 1,000 and at 100,000 sessions. Figures are printed and written to bench-results/bench-<time>.json (with
 * --record, also to docs/performance/).
 *
 * Options: --duration S (10), --connections N (50), --rounds N (5: the alternation's slices),
 * --warmup S (6 before each page; --quick 2),
 * --products N (1,000), --sessions N (50,000), --login-every N (5), --lookup-sessions N (100,000),
 * --quick (3 s runs in 3 rounds, 5,000 and 10,000 sessions), --only a,c,g,h,c20 (those runs, no
 * memory part), --cpu-prof DIR (the engine and every server run under node --cpu-prof; each
 * page's top functions in its server and in the engine, during its measured slices only, are
 * printed at the end and written to DIR/summary.json), --record.
 * Exits with 1 when any run saw an error, a timeout or an unexpected status.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import type { Collection } from 'mongodb';
import { Product } from '../src/catalog/product.model';
import { loadConfig } from '../src/platform/config';
import { MongoSessionStore } from '../src/sessions/mongo-session-store';
import type { SessionDocument } from '../src/sessions/session-document';
import { UserSessions } from '../src/sessions/user-sessions';
import { sessionCookie } from '../src/sessions/session-cookie';
import { csrfTokenIn, productIdsIn, showsLogout, withoutCsrfTokens } from '../tools/html';
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
import { problemsOf, runAlternating, runScenario, type Scenario, type ScenarioResult } from './bench/load-run';
import { compareLookups, createSessions, fillSessions, openLoginPage, submitLogin } from './bench/sessions';
import { comparisons, printResults, TARGETS, verdicts, type BenchReport } from './bench/report';
import { printSummary, summarizeProfile, type ProfileSummary } from './bench/profile-summary';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    products: { type: 'string' },
    sessions: { type: 'string' },
    'lookup-sessions': { type: 'string' },
    'login-every': { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

if (args.help) {
  console.log(
    'usage: npm run bench -- [--duration 10] [--connections 50] [--rounds 5] [--warmup 6] [--products 1000] [--sessions 50000] [--login-every 5] [--lookup-sessions 100000] [--quick] [--only a,b,c,d,e,f,g,h,c20] [--cpu-prof DIR] [--record]',
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

/** Every run, in the order they go; (b), (c), (g) and (h) in alternation. */
const RUN_KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'c20'];
const ALTERNATED = ['b', 'c', 'g', 'h'];

const options = {
  durationSeconds: count('duration', args.duration, args.quick ? 3 : 10, 1, 600),
  connections: count('connections', args.connections, 50, 1, 1000),
  rounds: count('rounds', args.rounds, args.quick ? 3 : 5, 1, 100),
  // A 2 s warm-up left the servers still speeding up through the first round of the alternation
  // (the rate of (c) and (g) grew round by round, by half); after 6 s it did not.
  warmupSeconds: count('warmup', args.warmup, args.quick ? 2 : 6, 0, 600),
  products: count('products', args.products, 1_000, 1, 100_000),
  // The per-address login limit (LOGIN_RATE_LIMIT_PER_IP) allows at most 100,000 a minute.
  sessions: count('sessions', args.sessions, args.quick ? 5_000 : 50_000, 0, 90_000),
  loginEvery: count('login-every', args['login-every'], 5, 1, 1_000_000),
  lookupSessions: count('lookup-sessions', args['lookup-sessions'], args.quick ? 10_000 : 100_000, 1_000, 1_000_000),
  only: args.only?.split(',').map((key) => key.trim()),
  cpuProfDir: args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined,
  record: args.record,
};
const unknownRuns = options.only?.filter((key) => !RUN_KEYS.includes(key)) ?? [];
if (unknownRuns.length > 0) {
  console.error(`--only: no run ${unknownRuns.join(', ')} (the runs: ${RUN_KEYS.join(', ')})`);
  process.exit(2);
}
const runMemoryPart = options.only === undefined;
const wants = (key: string) => options.only === undefined || options.only.includes(key);

const BENCH_USERS = 5;
const BCRYPT_ROUNDS = 4;
const VISITOR_CONCURRENCY = 32;
const LOOKUPS = 3_000;
const SMALL_LOOKUP_SESSIONS = 1_000;
/** A stop that hangs ends in SIGKILL. */
const KILL_AFTER_MS = 10_000;

const children: ChildHandle[] = [];
/** The pages measured, for their profiles once the processes have written them. */
const measured: ScenarioResult[] = [];
/** The shop's cookie secret; the floor server verifies the same cookies with it. */
const SESSION_SECRET = crypto.randomBytes(32).toString('hex');
/** The peers' own. */
const PEER_SECRET = crypto.randomBytes(32).toString('hex');

async function main(): Promise<void> {
  const loadAverageAtStart = os.loadavg();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
  let store: MongoSessionStore | undefined;
  let smallStore: MongoSessionStore | undefined;
  try {
    console.log(
      `npm run bench: ${options.connections} connections, ${options.durationSeconds} s per run, ${os.cpus().length} cores, load average ${loadAverageAtStart[0].toFixed(2)}`,
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
        database: mongoose.connection.getClient().db(databaseName),
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
      userSessions: new UserSessions(store.database, Date.now),
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
    const ceilingUrl = await startServer(
      'ceiling',
      'scripts/bench/ceiling-server.ts',
      ['--products', productsFile, '--total', String(options.products)],
      {},
      cpuProfFlags('ceiling'),
    );
    const floorUrl = await startServer(
      'floor',
      'scripts/bench/floor-server.ts',
      ['--uri', uri, '--products', productsFile, '--total', String(options.products)],
      { SESSION_SECRET },
      cpuProfFlags('floor'),
    );
    const startPeer = (name: string, file: string) =>
      startServer(name, file, ['--uri', uri], { SESSION_SECRET: PEER_SECRET }, cpuProfFlags(name));
    const courseUrl = wants('g') ? await startPeer('peer-course', 'scripts/bench/peer-course-server.ts') : undefined;
    const passportUrl = wants('h')
      ? await startPeer('peer-passport', 'scripts/bench/peer-passport-server.ts')
      : undefined;
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
    // Each peer logged in through its own login route, as users[0] like the shop: its page must be
    // the shop's logged-in page but for the session's CSRF token.
    const peers: Record<string, { cookie: string; samePage: boolean }> = {};
    for (const [key, name, server, url] of [
      ['g', "the course's pattern", 'peer-course', courseUrl],
      ['h', 'connect-mongo + passport', 'peer-passport', passportUrl],
    ] as const) {
      if (!url) continue;
      const { cookie: peerCookie, page } = await peerLogin(url, name, users[0]).catch((error: unknown) => {
        const output = children.find((child) => child.name === server)?.output() ?? '';
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${server}'s output:\n${output}`);
      });
      const samePage = withoutCsrfTokens(page) === withoutCsrfTokens(listPage.body);
      peers[key] = { cookie: peerCookie, samePage };
      console.log(
        `(${key}) ${name}: logged in through its own POST /login; ${samePage ? "its page is the shop's logged-in page byte for byte but for the session's CSRF token" : `its page differs from the shop's logged-in page (WARNING): ${firstDifference(withoutCsrfTokens(page), withoutCsrfTokens(listPage.body))}`}`,
      );
    }
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
        server: 'ceiling',
        usesEngine: false,
      },
      {
        key: 'b',
        label: 'GET /products anonymous',
        url: `${shopUrl}/products`,
        headers,
        expectedStatus: 200,
        server: 'shop',
        usesEngine: true,
      },
      {
        key: 'c',
        label: 'GET /products logged in',
        url: `${shopUrl}/products`,
        headers: withSession,
        expectedStatus: 200,
        server: 'shop',
        usesEngine: true,
      },
      {
        key: 'd',
        label: `GET /products/:id logged in`,
        url: `${shopUrl}${productPath}`,
        headers: withSession,
        expectedStatus: 200,
        server: 'shop',
        usesEngine: true,
      },
      {
        key: 'e',
        label: 'POST /cart logged in',
        url: `${shopUrl}/cart`,
        method: 'POST',
        headers: { ...withSession, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(cartForm).toString(),
        expectedStatus: 302,
        server: 'shop',
        usesEngine: true,
      },
      {
        key: 'f',
        label: 'floor: the two reads + the render',
        url: `${floorUrl}/products`,
        headers: withSession,
        expectedStatus: 200,
        server: 'floor',
        usesEngine: true,
      },
      ...(courseUrl
        ? [
            {
              key: 'g',
              label: "peer: the course's pattern",
              url: `${courseUrl}/products`,
              headers: { cookie: peers.g.cookie },
              expectedStatus: 200,
              server: 'peer-course',
              usesEngine: true,
            },
          ]
        : []),
      ...(passportUrl
        ? [
            {
              key: 'h',
              label: 'peer: connect-mongo + passport',
              url: `${passportUrl}/products`,
              headers: { cookie: peers.h.cookie },
              expectedStatus: 200,
              server: 'peer-passport',
              usesEngine: true,
            },
          ]
        : []),
      {
        key: 'c20',
        label: `GET /products logged in, p99 run`,
        url: `${shopUrl}/products`,
        headers: withSession,
        expectedStatus: 200,
        server: 'shop',
        usesEngine: true,
        connections: TARGETS.p99Connections,
      },
    ];

    const loadOptions = {
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      processes: Object.fromEntries(children.map((child) => [child.name, child.pid])),
    };
    const chosen = scenarios.filter((scenario) => wants(scenario.key));
    const alternated = chosen.filter((scenario) => ALTERNATED.includes(scenario.key));
    const byKey = new Map<string, ScenarioResult>();
    const printRun = (result: ScenarioResult) =>
      console.log(
        `(${result.key}) ${result.label}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms${problemsOf(result) ? `  FAILED: ${problemsOf(result)}` : ''}`,
      );
    for (const scenario of chosen) {
      if (byKey.has(scenario.key)) continue;
      if (alternated.length > 1 && alternated.includes(scenario)) {
        console.log(
          `${alternated.map((s) => `(${s.key})`).join(', ')} in alternation: ${options.rounds} rounds of ${Math.max(1, Math.round(options.durationSeconds / options.rounds))} s each ...`,
        );
        const together = await runAlternating(
          alternated,
          { ...loadOptions, rounds: options.rounds },
          (s, round, rate) =>
            process.stdout.write(`${round === 0 && s === alternated[0] ? '  ' : ''}(${s.key}) ${Math.round(rate)}  `),
        );
        console.log('');
        for (const result of together) {
          byKey.set(result.key, result);
          printRun(result);
        }
        continue;
      }
      process.stdout.write(`(${scenario.key}) ${scenario.label} ... `);
      const result = await runScenario(scenario, loadOptions);
      byKey.set(scenario.key, result);
      console.log(
        `${Math.round(result.requestsPerSecond)} req/s${problemsOf(result) ? `  FAILED: ${problemsOf(result)}` : ''}`,
      );
    }
    const results = chosen.map((scenario) => byKey.get(scenario.key)!);
    measured.push(...results);
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
      ...gitState(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        node: process.version,
        loadAverageAtStart,
        loadAverage: os.loadavg(),
      },
      options: {
        ...options,
        productsOnPage: shown.length,
        ceilingSameHtml: sameHtml,
        floorSameHtml: floorPage.body === listPage.body,
        peersSameHtmlButCsrfToken: Object.fromEntries(Object.entries(peers).map(([key, peer]) => [key, peer.samePage])),
      },
      scenarios: results,
      comparisons: comparisons(results),
      memory,
      lookups,
      targets: TARGETS,
      verdicts: [],
    };
    report.verdicts = verdicts(report);
    printResults(report);

    const fileName = `bench-${report.date.replace(/[:.]/g, '-')}.json`;
    const outDirs = [
      path.join(ROOT, 'bench-results'),
      ...(options.record ? [path.join(ROOT, 'docs', 'performance')] : []),
    ];
    for (const outDir of outDirs) {
      fs.mkdirSync(outDir, { recursive: true });
      const outFile = path.join(outDir, fileName);
      fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`${outDir === outDirs[0] ? '\n' : ''}figures written to ${path.relative(process.cwd(), outFile)}`);
    }

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

/**
 * A peer's login through its own routes, as a browser: its login form (for the CSRF token), the
 * form posted, then the product list twice (the first view after a new session may still write
 * it); returns the session's Cookie header and the second page.
 */
async function peerLogin(url: string, name: string, user: BenchUser): Promise<{ cookie: string; page: string }> {
  const browser = new ShopClient(url);
  try {
    expectStatus(await browser.get('/login'), 200, `${name}: GET /login`);
    const login = await browser.postForm('/login', { email: user.email, password: user.password });
    expectStatus(login, 302, `${name}: POST /login`);
    if (login.location === '/login') throw new Error(`${name}: POST /login refused ${user.email}`);
    for (let view = 0; view < 2; view++) {
      const page = await browser.get('/products');
      expectStatus(page, 200, `${name}: GET /products logged in`);
      if (!showsLogout(page.body)) throw new Error(`${name}: GET /products after its login is not a logged-in page`);
      if (view === 1) return { cookie: browser.cookieHeader(), page: page.body };
    }
    throw new Error('unreachable');
  } finally {
    browser.close();
  }
}

/** Where two pages part, for the warning: the position and a little of each. */
function firstDifference(x: string, y: string): string {
  let at = 0;
  while (at < x.length && at < y.length && x[at] === y[at]) at++;
  return `at character ${at}: ${JSON.stringify(x.slice(at, at + 60))} against ${JSON.stringify(y.slice(at, at + 60))}`;
}

/** The commit measured and whether tracked files had changes (undefined outside a git work tree). */
function gitState(): { commit?: string; dirty?: boolean } {
  try {
    const git = (...gitArgs: string[]) =>
      execFileSync('git', gitArgs, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return {};
  }
}

/** node --cpu-prof for a process, its profile in a folder of its own (written when it exits). */
function cpuProfFlags(name: string): string[] {
  return options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(options.cpuProfDir, name)] : [];
}

/** The main thread's profile of each profiled process (the largest file: tsx's loader thread has its own). */
/**
 * For each page measured, the profile of its server and of the engine during that page's measured
 * slices only (not the start-up, the warm-up or the other pages): printed, and written to
 * summary.json in the profiles' folder.
 */
function printProfiles(): void {
  if (!options.cpuProfDir) return;
  const profiles = new Map<string, string>();
  for (const name of ['shop', 'engine', 'floor', 'ceiling', 'peer-course', 'peer-passport']) {
    const dir = path.join(options.cpuProfDir, name);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).map((file) => path.join(dir, file)) : [];
    const main = files.sort((x, y) => fs.statSync(y).size - fs.statSync(x).size)[0];
    if (main) profiles.set(name === 'engine' ? 'embedded engine' : name, main);
  }
  console.log(`\nprofiles: ${[...profiles.values()].map((file) => path.relative(process.cwd(), file)).join(', ')}`);
  const summaries: Array<{ key: string; process: string; file: string; summary: ProfileSummary }> = [];
  for (const result of measured) {
    for (const name of [result.server, ...(result.usesEngine ? ['embedded engine'] : [])]) {
      const file = profiles.get(name);
      if (!file) continue;
      const summary = summarizeProfile(file, 40, result.windowsUs);
      summaries.push({ key: result.key, process: name, file, summary });
      printSummary(`(${result.key}) ${result.label}, ${name}`, summary, name === result.server ? 25 : 12);
    }
  }
  const summaryFile = path.join(options.cpuProfDir, 'summary.json');
  fs.writeFileSync(summaryFile, `${JSON.stringify(summaries, null, 2)}\n`);
  console.log(`\nprofile summaries written to ${path.relative(process.cwd(), summaryFile)}`);
}

/**
 * One of the bench's servers, a process of its own in production mode on a free port, once it
 * answers GET /products: the ceiling (a), the floor (f) on the shop's database with its secret, or a
 * peer, (g) or (h), on the shop's database with a secret of its own.
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

/** The shop's resident memory before and after `options.sessions` fresh visitors (one in `loginEvery` logs in), each after a short settle. */
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
  console.log(`done in ${creation.seconds.toFixed(1)} s (${Math.round(creation.perSecond)} visitors/s)`);
  await sleep(3000);
  const after = residentBytes(shop.pid);
  const sessionsAfter = await sessions.countDocuments({});
  return {
    visitors: creation.visitors,
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
