import { promisify } from 'node:util';
import type { Collection } from 'mongodb';
import type { SessionData } from 'express-session';
import type { MongoSessionStore, SessionDocument } from '../../src/session/mongo-session-store';
import { loggedInSessionDocument, type BenchUser } from './seed';
import { ShopClient } from './shop-client';

/*
 * Sessions in bulk: made through the shop over HTTP (for its memory), or inserted directly (for the
 * lookup time at a given number of sessions, where only the count matters).
 */

export interface SessionCreation {
  created: number;
  seconds: number;
  perSecond: number;
}

/**
 * `count` logins, each by a fresh visitor with no cookie (the login page, then the form), spread
 * over a few users and `concurrency` visitors at a time. Each leaves one session in MongoDB.
 */
export async function logInMany(
  baseUrl: string,
  users: BenchUser[],
  count: number,
  concurrency: number,
  onProgress: (done: number) => void,
): Promise<SessionCreation> {
  const client = new ShopClient(baseUrl);
  const started = performance.now();
  let next = 0;
  let done = 0;
  const visitor = async () => {
    while (next < count) {
      const user = users[next++ % users.length];
      await client.logIn(user.email, user.password);
      done++;
      if (done % 1000 === 0) onProgress(done);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, visitor));
  } finally {
    client.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { created: done, seconds, perSecond: done / seconds };
}

/** Inserts logged-in session documents until the collection holds `target`; returns the ids it inserted. */
export async function fillSessions(sessions: Collection<SessionDocument>, users: BenchUser[], target: number, idleMs: number): Promise<string[]> {
  const ids: string[] = [];
  let missing = target - (await sessions.countDocuments({}));
  while (missing > 0) {
    const batch = Array.from({ length: Math.min(1000, missing) }, (_, i) => loggedInSessionDocument(users[i % users.length], idleMs));
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

/** The time of `store.get` (one findOne by _id over the wire), one at a time, on random existing ids. */
export async function timeLookups(store: MongoSessionStore, ids: string[], sessions: number, lookups: number): Promise<LookupTiming> {
  const get = promisify(store.get.bind(store)) as (sid: string) => Promise<SessionData | null | undefined>;
  const pick = () => ids[Math.floor(Math.random() * ids.length)];
  for (let i = 0; i < Math.min(500, lookups); i++) await get(pick());
  const times: number[] = [];
  for (let i = 0; i < lookups; i++) {
    const sid = pick();
    const start = performance.now();
    const found = await get(sid);
    times.push(performance.now() - start);
    if (!found) throw new Error(`session ${sid} was not found`);
  }
  times.sort((x, y) => x - y);
  return {
    sessions,
    lookups,
    medianMs: times[Math.floor(times.length / 2)],
    meanMs: times.reduce((sum, t) => sum + t, 0) / times.length,
    p99Ms: times[Math.floor(times.length * 0.99)],
  };
}
