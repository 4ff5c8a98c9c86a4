/**
 * The memory part of a full run: the shop's resident memory before and after many fresh visitors
 * over HTTP (sessions cost the process nothing), and the time of a session lookup at two sizes of
 * the sessions collection (an index, not a scan).
 */
import http from 'node:http';
import { promisify } from 'node:util';
import type { SessionData, Store } from 'express-session';
import {
  MongoSessionStore,
  residentBytes,
  sessionCookie,
  ShopClient,
  sleep,
  type Config,
  type ShopProcess,
} from './shop';
import type { BenchOptions } from './options';
import { openLoginPage, submitLogin } from './logins';
import { fillSessions, sessionCount, type BenchUser } from './seed';

const VISITOR_CONCURRENCY = 32;
const LOOKUPS = 3_000;
const SMALL_LOOKUP_SESSIONS = 1_000;

export interface MemoryPart {
  memory: MemoryFigures;
  lookups: { small: LookupTiming; big: LookupTiming; ratio: number };
}

/**
 * The whole part, on the big shop: its memory over `visitors` fresh visitors, one in `loginEvery`
 * logging in; then the lookup time at two sizes: the shop's sessions, filled up to
 * `lookupSessions` through the store's `set`, and 1,000 in a database of their own (`uris.small`).
 */
export async function measureMemoryAndLookups(
  shop: ShopProcess,
  users: BenchUser[],
  config: Config,
  uris: { shop: string; small: string },
  counts: Pick<BenchOptions, 'sessions' | 'loginEvery' | 'lookupSessions'>,
): Promise<MemoryPart> {
  const cookie = sessionCookie(config);
  const storeOf = (uri: string) =>
    new MongoSessionStore({
      uri,
      databaseName: new URL(uri).pathname.slice(1),
      idleTimeoutMs: config.session.idleTimeoutMs,
      touchIntervalMs: config.session.touchIntervalMs,
    });
  const [store, smallStore] = [storeOf(uris.shop), storeOf(uris.small)];
  try {
    const { sessions: visitors, loginEvery } = counts;
    process.stdout.write(`memory: ${visitors.toLocaleString('en')} fresh visitors, one in ${loginEvery} logs in ... `);
    const memory = await measureMemory(shop, store, users, { visitors, loginEvery, cookieName: cookie.name });
    console.log(`done in ${memory.seconds.toFixed(1)} s`);
    process.stdout.write(`session lookup: ${LOOKUPS.toLocaleString('en')} store.get at two sizes ... `);
    const cookieOptions = { ...cookie.options, maxAge: config.session.idleTimeoutMs };
    const smallIds = await fillSessions(smallStore, users, SMALL_LOOKUP_SESSIONS, cookieOptions);
    const bigIds = await fillSessions(store, users, counts.lookupSessions, cookieOptions);
    const lookups = await compareLookups({ store: smallStore, ids: smallIds }, { store, ids: bigIds }, LOOKUPS);
    console.log(`median ${lookups.small.medianMs.toFixed(3)} ms and ${lookups.big.medianMs.toFixed(3)} ms`);
    return { memory, lookups };
  } finally {
    await Promise.all([store.close(), smallStore.close()]);
  }
}

export interface MemoryFigures {
  /** Fresh visitors who opened the login page (which leaves no session: its form needs none). */
  visitors: number;
  /** How many of them went on to log in, each leaving one session in MongoDB. */
  logins: number;
  sessionsInMongoDB: { before: number; after: number };
  seconds: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  growthMB: number;
}

/**
 * `visitors` fresh visitors with no cookie, a few at a time: each opens the login page, whose form
 * carries a double-submit CSRF token in a cookie and starts no session; one in `loginEvery` then
 * logs in as one of a few users, which starts one. The shop's resident memory is read before and
 * after, each after a short settle.
 */
async function measureMemory(
  shop: ShopProcess,
  store: Store,
  users: BenchUser[],
  options: { visitors: number; loginEvery: number; cookieName: string },
): Promise<MemoryFigures> {
  await sleep(3000);
  const rssBefore = residentBytes(shop.pid);
  const sessionsBefore = await sessionCount(store);
  // One connection per visitor at a time, kept alive between visitors; each visitor its own cookie jar.
  const agent = new http.Agent({ keepAlive: true, maxSockets: VISITOR_CONCURRENCY });
  const started = performance.now();
  let next = 0;
  let logins = 0;
  const visitor = async () => {
    while (next < options.visitors) {
      const n = next++;
      const browser = new ShopClient(shop.url, { behindHttpsProxy: true, agent });
      await openLoginPage(browser, options.cookieName);
      if (n % options.loginEvery === 0) {
        await submitLogin(browser, users[logins++ % users.length]);
        if (!browser.cookie(options.cookieName)) throw new Error('POST /login set no session cookie');
      }
      if ((n + 1) % 10_000 === 0) process.stdout.write(`${(n + 1).toLocaleString('en')} `);
    }
  };
  try {
    await Promise.all(Array.from({ length: VISITOR_CONCURRENCY }, visitor));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  await sleep(3000);
  const rssAfter = residentBytes(shop.pid);
  return {
    visitors: options.visitors,
    logins,
    sessionsInMongoDB: { before: sessionsBefore, after: await sessionCount(store) },
    seconds,
    rssBeforeMB: rssBefore / 2 ** 20,
    rssAfterMB: rssAfter / 2 ** 20,
    growthMB: (rssAfter - rssBefore) / 2 ** 20,
  };
}

export interface LookupTiming {
  sessions: number;
  lookups: number;
  medianMs: number;
  meanMs: number;
  p99Ms: number;
}

interface LookupTarget {
  store: Store;
  /** Ids of sessions that exist, to look up at random. */
  ids: string[];
}

/**
 * The time of `store.get`, one lookup at a time, on random existing ids, for two collections of
 * different sizes in the same engine. The two are measured in alternating blocks, so that the
 * machine's load at any moment weighs on both alike; the first 500 of each warm up.
 */
async function compareLookups(
  small: LookupTarget,
  big: LookupTarget,
  lookups: number,
): Promise<{ small: LookupTiming; big: LookupTiming; ratio: number }> {
  const times = new Map<LookupTarget, number[]>([
    [small, []],
    [big, []],
  ]);
  const block = 100;
  for (let done = 0; done < lookups + 500; done += block) {
    for (const target of done % (2 * block) === 0 ? [small, big] : [big, small]) {
      const get = promisify(target.store.get.bind(target.store)) as (sid: string) => Promise<SessionData | null>;
      for (let i = 0; i < block; i++) {
        const sid = target.ids[Math.floor(Math.random() * target.ids.length)];
        const start = performance.now();
        const found = await get(sid);
        if (done >= 500) times.get(target)!.push(performance.now() - start);
        if (!found) throw new Error(`session ${sid} was not found`);
      }
    }
  }
  const timing = async (target: LookupTarget): Promise<LookupTiming> => {
    const sorted = times.get(target)!.sort((x, y) => x - y);
    return {
      sessions: await sessionCount(target.store),
      lookups: sorted.length,
      medianMs: sorted[Math.floor(sorted.length / 2)],
      meanMs: sorted.reduce((sum, t) => sum + t, 0) / sorted.length,
      p99Ms: sorted[Math.floor(sorted.length * 0.99)],
    };
  };
  const [smallTiming, bigTiming] = [await timing(small), await timing(big)];
  return { small: smallTiming, big: bigTiming, ratio: bigTiming.medianMs / smallTiming.medianMs };
}
