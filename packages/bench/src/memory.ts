import crypto from 'node:crypto';
import http from 'node:http';
import { promisify } from 'node:util';
import type { Request } from 'express';
import session, { type CookieOptions, type SessionData } from 'express-session';
import { csrfToken } from '../../src/sessions/csrf';
import type { MongoSessionStore } from '../../src/sessions/mongo-session-store';
import { expectStatus, ShopClient } from '../../tools/shop-client';
import type { BenchUser } from './seed';

/*
 * Sessions in bulk: made through the shop over HTTP (for its memory), or written through the
 * session store's own `set` (for the lookup time at a given number of sessions, where only the
 * count matters and logging in 100,000 times over HTTP would take minutes).
 */

export interface SessionCreation {
  /** Fresh visitors who opened the login page (which leaves no session: its form needs none). */
  visitors: number;
  /** How many of them went on to log in, each leaving one session in MongoDB. */
  logins: number;
  seconds: number;
  perSecond: number;
}

/**
 * `count` fresh visitors with no cookie, `concurrency` at a time: each opens the login page, whose
 * form carries a double-submit CSRF token in a cookie and starts no session; one in `loginEvery`
 * then logs in as one of a few users, which starts a session. Each login leaves one session in
 * MongoDB; a visitor who only looked leaves none.
 */
export async function createSessions(
  baseUrl: string,
  users: BenchUser[],
  options: { count: number; loginEvery: number; concurrency: number; cookieName: string },
  onProgress: (done: number) => void,
): Promise<SessionCreation> {
  // One connection per visitor at a time, kept alive between visitors; each visitor its own cookie jar.
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const started = performance.now();
  let next = 0;
  let done = 0;
  let logins = 0;
  const visitor = async () => {
    while (next < options.count) {
      const n = next++;
      const browser = new ShopClient(baseUrl, { behindHttpsProxy: true, agent });
      await openLoginPage(browser, options.cookieName);
      if (n % options.loginEvery === 0) {
        const user = users[logins++ % users.length];
        await submitLogin(browser, user.email, user.password);
        if (!browser.cookie(options.cookieName)) throw new Error('POST /login set no session cookie');
      }
      done++;
      if (done % 1000 === 0) onProgress(done);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, visitor));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return { visitors: done, logins, seconds, perSecond: done / seconds };
}

/** A fresh visitor opens the login page: its form's CSRF token needs no session, so none may start. */
export async function openLoginPage(browser: ShopClient, cookieName: string): Promise<void> {
  expectStatus(await browser.get('/login'), 200, 'GET /login');
  if (browser.cookie(cookieName)) throw new Error('GET /login started a session for a visitor');
}

/** Sends the login form of the page the browser last opened; the shop must answer with a session cookie. */
export async function submitLogin(browser: ShopClient, email: string, password: string): Promise<void> {
  const reply = await browser.postForm('/login', { email, password });
  expectStatus(reply, 302, 'POST /login');
  if (reply.location === '/login') throw new Error(`POST /login refused ${email}`);
}

/** express-session's Cookie, as its middleware makes one per session (its type declares no constructor arguments). */
const Cookie = session.Cookie as unknown as new (options: CookieOptions) => session.Cookie;

/**
 * Writes logged-in sessions through the store's `set`, `concurrency` at a time, until its
 * collection holds `target`; returns the ids it wrote. Each is what a login leaves: express-session's
 * Cookie with the shop's cookie options, the shopper, the login time and a CSRF token made by the
 * shop's own generator; the store adds what it adds (touchedAt, expires).
 */
export async function fillSessions(
  store: MongoSessionStore,
  users: BenchUser[],
  target: number,
  cookieOptions: CookieOptions,
  concurrency = 32,
): Promise<string[]> {
  const set = promisify(store.set.bind(store)) as (sid: string, data: SessionData) => Promise<void>;
  const missing = target - (await store.sessions.countDocuments({}));
  const ids: string[] = [];
  const writer = async () => {
    while (ids.length < missing) {
      const user = users[ids.length % users.length];
      // express-session's own id: 24 random bytes, base64url (uid-safe).
      const sid = crypto.randomBytes(24).toString('base64url');
      ids.push(sid);
      const data: SessionData = {
        cookie: new Cookie(cookieOptions),
        isLoggedIn: true,
        user: { _id: user.id.toHexString(), email: user.email },
        loggedInAt: Date.now(),
      };
      csrfToken({ session: data } as unknown as Request, true);
      await set(sid, data);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  return ids;
}

export interface LookupTiming {
  sessions: number;
  lookups: number;
  medianMs: number;
  meanMs: number;
  p99Ms: number;
}

export interface LookupTarget {
  store: MongoSessionStore;
  /** Ids of sessions that exist, to look up at random. */
  ids: string[];
  /** How many sessions its collection holds. */
  sessions: number;
}

/**
 * The time of `store.get` (one findOne by _id over the wire), one lookup at a time, on random
 * existing ids, for two collections of different sizes in the same engine. The two are measured in
 * alternating blocks, so that the machine's load at any moment weighs on both alike.
 */
export async function compareLookups(
  small: LookupTarget,
  big: LookupTarget,
  lookups: number,
): Promise<{ small: LookupTiming; big: LookupTiming }> {
  const times = new Map<LookupTarget, number[]>([
    [small, []],
    [big, []],
  ]);
  const block = 100;
  for (let done = 0; done < lookups + 500; done += block) {
    for (const target of done % (2 * block) === 0 ? [small, big] : [big, small]) {
      const get = promisify(target.store.get.bind(target.store)) as (
        sid: string,
      ) => Promise<SessionData | null | undefined>;
      for (let i = 0; i < block; i++) {
        const sid = target.ids[Math.floor(Math.random() * target.ids.length)];
        const start = performance.now();
        const found = await get(sid);
        // The first 500 of each warm up the connections and the JIT.
        if (done >= 500) times.get(target)!.push(performance.now() - start);
        if (!found) throw new Error(`session ${sid} was not found`);
      }
    }
  }
  return { small: summarize(small, times.get(small)!), big: summarize(big, times.get(big)!) };
}

function summarize(target: LookupTarget, times: number[]): LookupTiming {
  times.sort((x, y) => x - y);
  return {
    sessions: target.sessions,
    lookups: times.length,
    medianMs: times[Math.floor(times.length / 2)],
    meanMs: times.reduce((sum, t) => sum + t, 0) / times.length,
    p99Ms: times[Math.floor(times.length * 0.99)],
  };
}
