import { promisify } from 'node:util';
import type { Collection } from 'mongodb';
import type { SessionData } from 'express-session';
import type { MongoSessionStore, SessionDocument } from '../../src/sessions/mongo-session-store';
import { loggedInSessionDocument, type BenchUser } from './seed';
import { ShopClient } from './shop-client';

/*
 * Sessions in bulk: made through the shop over HTTP (for its memory), or inserted directly (for the
 * lookup time at a given number of sessions, where only the count matters).
 */

export interface SessionCreation {
  /** Fresh visitors, each of whom left one session in MongoDB. */
  sessions: number;
  /** How many of them went on to log in (their session replaced by a logged-in one). */
  logins: number;
  seconds: number;
  perSecond: number;
}

/**
 * `count` fresh visitors with no cookie, `concurrency` at a time: each opens the login page, which
 * starts a session (for its CSRF token); one in `loginEvery` then logs in as one of a few users,
 * which replaces that session by a logged-in one. Each visitor leaves one session in MongoDB.
 */
export async function createSessions(
  baseUrl: string,
  users: BenchUser[],
  options: { count: number; loginEvery: number; concurrency: number },
  onProgress: (done: number) => void,
): Promise<SessionCreation> {
  const client = new ShopClient(baseUrl);
  const started = performance.now();
  let next = 0;
  let done = 0;
  let logins = 0;
  const visitor = async () => {
    while (next < options.count) {
      const n = next++;
      const session = await client.openLoginPage();
      if (n % options.loginEvery === 0) {
        const user = users[logins++ % users.length];
        await client.submitLogin(session, user.email, user.password);
      }
      done++;
      if (done % 1000 === 0) onProgress(done);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, visitor));
  } finally {
    client.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { sessions: done, logins, seconds, perSecond: done / seconds };
}

/** Inserts logged-in session documents until the collection holds `target`; returns the ids it inserted. */
export async function fillSessions(
  sessions: Collection<SessionDocument>,
  users: BenchUser[],
  target: number,
  idleMs: number,
): Promise<string[]> {
  const ids: string[] = [];
  let missing = target - (await sessions.countDocuments({}));
  while (missing > 0) {
    const batch = Array.from({ length: Math.min(1000, missing) }, (_, i) =>
      loggedInSessionDocument(users[i % users.length], idleMs),
    );
    await sessions.insertMany(batch as unknown as SessionDocument[]);
    for (const doc of batch) ids.push(doc._id);
    missing -= batch.length;
  }
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
