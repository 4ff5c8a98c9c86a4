import crypto from 'node:crypto';
import type { Collection } from 'mongodb';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Clock } from '../platform/clock';
import { isDuplicateKey } from '../platform/database/duplicate-key';

/** Where every limit's counters live, in the shop's own database. */
export const RATE_LIMITS_COLLECTION = 'rate_limits';

/** One counter: a limit's key in one window. */
export interface RateLimitCounter {
  /** `<limit>:k:<key>`, or `<limit>:h:<sha-256 of the key>` for a long key. */
  _id: string;
  hits: number;
  /** The window's end: the count starts again from here, and MongoDB's TTL monitor deletes it afterwards. */
  resetAt: Date;
}

/** Keys up to this long are kept as they are (an operator can find and delete one); longer ones are hashed. */
const MAX_PLAIN_KEY_LENGTH = 200;
/** A concurrent first hit can lose the upsert race with a duplicate key error: tried again this often. */
const UPSERT_ATTEMPTS = 3;
/**
 * The counters of every rate limit, shared by every shop process through MongoDB: N processes count
 * together, and a restart forgets nothing. One document per limit and key; each hit is one atomic
 * `findOneAndUpdate` (an update pipeline: within the window `hits + 1`, past it a new window with
 * `hits = 1`), so concurrent hits from any process are never lost and a window never outlives
 * its end, whenever MongoDB's TTL monitor (once a minute) gets round to deleting it.
 *
 * Time comes from the injected clock (the window's end is stored, not computed by the server), so
 * tests move time forward instead of waiting.
 */
export class RateLimitCounters {
  private readonly collection: Collection<RateLimitCounter>;
  private readonly now: Clock;
  private indexed?: Promise<void>;
  private readonly prefixes = new Set<string>();

  constructor(options: { collection: Collection<RateLimitCounter>; now: Clock }) {
    this.collection = options.collection;
    this.now = options.now;
  }

  /** A Store for one limiter (express-rate-limit wants one per limiter); `limit` names its counters. */
  store(limit: string): MongoRateLimitStore {
    if (!/^[\w-]+$/.test(limit)) throw new Error(`a rate limit's name is letters, digits and dashes (got "${limit}")`);
    // Two limiters under one name would count each other's hits.
    if (this.prefixes.has(limit)) throw new Error(`two rate limits are named "${limit}"`);
    this.prefixes.add(limit);
    return new MongoRateLimitStore(this, `${limit}:`);
  }

  /** The TTL index on the window's end; made once, on first use (an existing one is left as it is). */
  ensureIndexes(): Promise<void> {
    this.indexed ??= this.collection.createIndex({ resetAt: 1 }, { expireAfterSeconds: 0, name: 'resetAt_ttl' }).then(
      () => undefined,
      (error: unknown) => {
        // Tried again on the next hit; the counters work without it, they only linger.
        this.indexed = undefined;
        throw error;
      },
    );
    return this.indexed;
  }

  async increment(id: string, windowMs: number): Promise<ClientRateLimitInfo> {
    // Never in the way of a hit: a missing index only leaves old counters behind a while longer.
    this.ensureIndexes().catch(() => {});
    const now = new Date(this.now());
    const inWindow = { $gt: ['$resetAt', now] };
    for (let attempt = 1; ; attempt++) {
      try {
        const counter = await this.collection.findOneAndUpdate(
          { _id: id },
          [
            {
              $set: {
                // A missing document (or field) is never `$gt` a date: the first hit starts a window.
                hits: { $cond: [inWindow, { $add: ['$hits', 1] }, 1] },
                resetAt: { $cond: [inWindow, '$resetAt', new Date(now.getTime() + windowMs)] },
              },
            },
          ],
          { upsert: true, returnDocument: 'after' },
        );
        if (!counter) throw new Error('the rate limit counter was not returned');
        return { totalHits: counter.hits, resetTime: counter.resetAt };
      } catch (error) {
        // Two first hits at once: both upsert, one inserts, the other finds the key taken.
        if (attempt < UPSERT_ATTEMPTS && isDuplicateKey(error)) continue;
        throw error;
      }
    }
  }

  async decrement(id: string): Promise<void> {
    // Only within the window: a request that ends after it must not take a hit off the next one.
    await this.collection.updateOne(
      { _id: id, resetAt: { $gt: new Date(this.now()) }, hits: { $gt: 0 } },
      { $inc: { hits: -1 } },
    );
  }

  async get(id: string): Promise<ClientRateLimitInfo | undefined> {
    const counter = await this.collection.findOne({ _id: id });
    if (!counter || counter.resetAt.getTime() <= this.now()) return undefined;
    return { totalHits: counter.hits, resetTime: counter.resetAt };
  }

  async reset(id: string): Promise<void> {
    await this.collection.deleteOne({ _id: id });
  }
}

/** express-rate-limit's Store interface over the shared counters, for one limiter. */
export class MongoRateLimitStore implements Store {
  /** Keys counted here are counted by every process: not local (express-rate-limit's double-count check). */
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(
    private readonly counters: RateLimitCounters,
    readonly prefix: string,
  ) {}

  init(options: Pick<Options, 'windowMs'>): void {
    this.windowMs = options.windowMs;
  }

  increment(key: string): Promise<ClientRateLimitInfo> {
    return this.counters.increment(this.idOf(key), this.windowMs);
  }

  decrement(key: string): Promise<void> {
    return this.counters.decrement(this.idOf(key));
  }

  resetKey(key: string): Promise<void> {
    return this.counters.reset(this.idOf(key));
  }

  get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.counters.get(this.idOf(key));
  }

  /**
   * The counter's `_id`. Keys come from requests (an email typed in a form, an address): `$` and
   * `.` are harmless in a string value, and a key of any length becomes at most a short hash.
   */
  private idOf(key: string): string {
    if (key.length <= MAX_PLAIN_KEY_LENGTH) return `${this.prefix}k:${key}`;
    return `${this.prefix}h:${crypto.createHash('sha256').update(key).digest('hex')}`;
  }
}
