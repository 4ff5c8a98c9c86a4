/**
 * The memory part of a full run, on the big shop: its resident memory before and after many fresh
 * visitors over HTTP (sessions must cost the process nothing), then the time of a session lookup
 * at two sizes of the sessions collection (an index, not a scan).
 */
import http from 'node:http';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import type { SessionData, Store } from 'express-session';
import { MongoSessionStore, residentBytes, sessionCookie, ShopClient, sleep, type Config } from './shop';
import type { ShopProcess } from './shop';
import type { BenchOptions } from './options';
import { openLoginPage, submitLogin } from './logins';
import { fillSessions, sessionCount, type BenchUser } from './seed';

const VISITOR_CONCURRENCY = 32;
const LOOKUPS = 3_000;
const SMALL_LOOKUP_SESSIONS = 1_000;

export interface MemoryFigures {
  /** Fresh visitors who opened the login page, and how many of them went on to log in. */
  visitors: number;
  logins: number;
  sessionsInMongoDB: { before: number; after: number };
  seconds: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  growthMB: number;
}

export interface LookupTiming {
  sessions: number;
  lookups: number;
  medianMs: number;
  meanMs: number;
  p99Ms: number;
}

export interface MemoryPart {
  memory: MemoryFigures;
  lookups: { small: LookupTiming; big: LookupTiming; ratio: number };
}

/**
 * `sessions` fresh visitors with no cookie, a few at a time, each opening the login page (whose
 * form carries a double-submit CSRF token and starts no session), one in `loginEvery` then logging
 * in (which leaves one session); then `store.get` at 1,000 sessions (a database of their own,
 * `uris.small`) and at `lookupSessions` (the shop's, filled up through the store's `set`).
 */
export async function measureMemoryAndLookups(
  shop: ShopProcess,
  users: BenchUser[],
  config: Config,
  uris: { shop: string; small: string },
  counts: Pick<BenchOptions, 'sessions' | 'loginEvery' | 'lookupSessions'>,
): Promise<MemoryPart> {
  const cookie = sessionCookie(config);
  // A client of its own per database, as a shop process has.
  const clients = [await MongoClient.connect(uris.shop), await MongoClient.connect(uris.small)];
  const storeOf = (uri: string, client: MongoClient) =>
    new MongoSessionStore({
      uri,
      database: client.db(),
      idleTimeoutMs: config.session.idleTimeoutMs,
      touchIntervalMs: config.session.touchIntervalMs,
    });
  const [store, smallStore] = [storeOf(uris.shop, clients[0]), storeOf(uris.small, clients[1])];
  try {
    process.stdout.write(`memory: ${counts.sessions.toLocaleString('en')} fresh visitors ... `);
    await sleep(3000);
    const [rssBefore, sessionsBefore] = [residentBytes(shop.pid), await sessionCount(store)];
    // One connection per visitor at a time, kept alive between visitors; each visitor its own cookie jar.
    const agent = new http.Agent({ keepAlive: true, maxSockets: VISITOR_CONCURRENCY });
    const started = performance.now();
    let [next, logins] = [0, 0];
    const visitor = async () => {
      for (let n = next++; n < counts.sessions; n = next++) {
        const browser = new ShopClient(shop.url, { behindHttpsProxy: true, agent });
        await openLoginPage(browser, cookie.name);
        if (n % counts.loginEvery !== 0) continue;
        await submitLogin(browser, users[logins++ % users.length]);
        if (!browser.cookie(cookie.name)) throw new Error('POST /login set no session cookie');
      }
    };
    await Promise.all(Array.from({ length: VISITOR_CONCURRENCY }, visitor)).finally(() => agent.destroy());
    const seconds = (performance.now() - started) / 1000;
    await sleep(3000);
    const rssAfter = residentBytes(shop.pid);
    const memory: MemoryFigures = {
      visitors: counts.sessions,
      logins,
      sessionsInMongoDB: { before: sessionsBefore, after: await sessionCount(store) },
      seconds,
      rssBeforeMB: rssBefore / 2 ** 20,
      rssAfterMB: rssAfter / 2 ** 20,
      growthMB: (rssAfter - rssBefore) / 2 ** 20,
    };
    console.log(`done in ${seconds.toFixed(1)} s`);

    process.stdout.write(`session lookup: ${LOOKUPS.toLocaleString('en')} store.get at two sizes ... `);
    const cookieOptions = { ...cookie.options, maxAge: config.session.idleTimeoutMs };
    const small = {
      store: smallStore,
      ids: await fillSessions(smallStore, users, SMALL_LOOKUP_SESSIONS, cookieOptions),
    };
    const big = { store, ids: await fillSessions(store, users, counts.lookupSessions, cookieOptions) };
    const [smallTimes, bigTimes] = await timeLookups(small, big);
    const lookups = { small: await timing(smallStore, smallTimes), big: await timing(store, bigTimes), ratio: 0 };
    lookups.ratio = lookups.big.medianMs / lookups.small.medianMs;
    console.log(`median ${lookups.small.medianMs.toFixed(3)} ms and ${lookups.big.medianMs.toFixed(3)} ms`);
    return { memory, lookups };
  } finally {
    await Promise.all([store.close(), smallStore.close()]);
    await Promise.all(clients.map((client) => client.close()));
  }
}

/**
 * The time of `store.get`, one lookup at a time, on random existing ids, in two stores: measured
 * in alternating blocks of 100, so that the machine's load at any moment weighs on both alike; the
 * first 500 of each warm up.
 */
async function timeLookups(...targets: Array<{ store: Store; ids: string[] }>): Promise<number[][]> {
  const times = targets.map((): number[] => []);
  const block = 100;
  for (let done = 0; done < LOOKUPS + 500; done += block) {
    const order = done % (2 * block) === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      const { store, ids } = targets[which];
      const get = promisify(store.get.bind(store)) as (sid: string) => Promise<SessionData | null>;
      for (let i = 0; i < block; i++) {
        const sid = ids[Math.floor(Math.random() * ids.length)];
        const start = performance.now();
        if (!(await get(sid))) throw new Error(`session ${sid} was not found`);
        if (done >= 500) times[which].push(performance.now() - start);
      }
    }
  }
  return times;
}

async function timing(store: Store, times: number[]): Promise<LookupTiming> {
  const sorted = [...times].sort((x, y) => x - y);
  return {
    sessions: await sessionCount(store),
    lookups: sorted.length,
    medianMs: sorted[Math.floor(sorted.length / 2)],
    meanMs: sorted.reduce((sum, t) => sum + t, 0) / sorted.length,
    p99Ms: sorted[Math.floor(sorted.length * 0.99)],
  };
}
