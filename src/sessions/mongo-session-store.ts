import session, { type SessionData } from 'express-session';
import connectMongoDBSession from 'connect-mongodb-session';
import type { Collection, MongoClientOptions } from 'mongodb';

const MongoDBStore = connectMongoDBSession(session);

export const SESSIONS_COLLECTION = 'sessions';

/** One document per session, as connect-mongodb-session writes it (the README's Sessions section). */
export interface SessionDocument {
  _id: string;
  expires: Date;
  session: SessionData;
}

export interface MongoSessionStoreOptions {
  /** A connection string; `databaseName` picks the database, so it may name another one or none. */
  uri: string;
  /** The shop's own database: sessions live next to the data. */
  databaseName: string;
  /** How long a session lives without requests: the document's `expires` when the cookie has none. */
  idleTimeoutMs: number;
  /** A rolling session's new expiry is written at most this often; touches in between send nothing. */
  touchIntervalMs: number;
  /**
   * For the store's own MongoClient (e.g. `monitorCommands` to count what it sends). A few options
   * only: the library's type definitions carry an older driver's option types. Use the URI for the rest.
   */
  connectionOptions?: Pick<MongoClientOptions, 'monitorCommands' | 'maxPoolSize' | 'serverSelectionTimeoutMS'>;
  /** Tests only: every write waits this long first, to prove that responses wait for the write. */
  writeDelayMs?: number;
  /** The clock used to throttle touches; tests pass a controllable one. */
  now?: () => number;
}

type Callback = (error?: unknown) => void;

/**
 * connect-mongodb-session, completed:
 *  - `touch` (the library has none): with `rolling` cookies, express-session calls it on every
 *    request whose session did not change. Writing each time would cost one database write per
 *    page view, so the expiry is written at most once per `touchIntervalMs`. The session data
 *    carries `touchedAt`, the time of the last write; `set` and `touch` write it to the database
 *    but never change the in-memory session, so express-session never sees it as a modification.
 *    Between writes the stored expiry lags the cookie by less than the interval.
 *  - `all` and `length` that work: the library's `all` passes a callback to `toArray`, which
 *    the current driver ignores, so it never calls back.
 *  - an index on `session.user._id`, to find every session of one shopper
 *    (`destroyUserSessions`: log out everywhere, password change).
 *  - `get`, `set` and `destroy` written here: the library's wrap the driver's error in a new one
 *    (losing what it was, so an outage could not be told from a bug) whose message carries the
 *    session id and even the whole session, hence into logs. Here the driver's error stays the
 *    `cause`, and no message names a session: its id is as good as the shopper's login.
 *  - `emit` on the same emitter as `on`: the library routes `on` to an emitter of its own, so an
 *    event emitted on the store itself would reach no listener.
 *  - no second write of what was just written: after `regenerate`, express-session loses track
 *    of an explicit `save` (the new session object is not wrapped), so login's save-before-redirect
 *    was followed by the same write at the end of the response. `set` remembers, per live session
 *    object, what it last wrote and skips an unchanged repeat (the cookie's rolling expiry aside).
 */
export class MongoSessionStore extends MongoDBStore {
  // Set by the library's constructor; `declare` keeps class-field semantics from resetting them.
  declare collection: Collection<SessionDocument>;
  declare private initialConnectionPromise: Promise<unknown>;
  declare private _errorHandler: (error: Error, callback: (error: unknown) => void) => void;
  declare private _emitter: NodeJS.EventEmitter;

  private readonly idleTimeoutMs: number;
  private readonly touchIntervalMs: number;
  private readonly writeDelayMs: number;
  private readonly now: () => number;
  private readonly indexesReady: Promise<void>;
  /** Keyed by the request's session object, so entries go with the request. */
  private readonly lastWritten = new WeakMap<object, { sid: string; fingerprint: string }>();

  constructor(options: MongoSessionStoreOptions) {
    // With a callback, a failed first connection is reported through the 'error' event (and the
    // callback) instead of becoming an unhandled promise rejection that would end the process.
    super(
      {
        uri: options.uri,
        databaseName: options.databaseName,
        collection: SESSIONS_COLLECTION,
        expires: options.idleTimeoutMs,
        connectionOptions: options.connectionOptions,
      },
      () => {},
    );
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.touchIntervalMs = options.touchIntervalMs;
    this.writeDelayMs = options.writeDelayMs ?? 0;
    this.now = options.now ?? Date.now;
    this.indexesReady = this.initialConnectionPromise
      .then(() => this.collection.createIndex({ 'session.user._id': 1 }))
      .then(
        () => undefined,
        (error: unknown) => this.fail(new Error(`Error creating the session user index: ${message(error)}`), () => {}),
      );
  }

  /** Resolves once connected and indexed (failures are reported through the 'error' event). */
  async ready(): Promise<void> {
    await this.indexesReady;
  }

  async close(): Promise<void> {
    await this.indexesReady;
    await this.client.close();
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    this.collection.findOne({ _id: sid }).then(
      (document) => {
        if (!document) process.nextTick(() => callback(null, null));
        else if (document.expires && document.expires <= new Date())
          this.destroy(sid, (error) => callback(error, null));
        else process.nextTick(() => callback(null, document.session));
      },
      (error: unknown) => this.fail(storeError('Error finding a session', error), callback),
    );
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    const done = callback ?? (() => {});
    const fingerprint = fingerprintOf(data);
    const last = this.lastWritten.get(data);
    if (last?.sid === sid && last.fingerprint === fingerprint) {
      process.nextTick(done);
      return;
    }
    // A copy: `data` is the request's live session, whose hash express-session compares later.
    const session: SessionData = {
      ...data,
      cookie: storedCookie(data.cookie) as SessionData['cookie'],
      touchedAt: this.now(),
    };
    const expires = data.cookie.expires ? new Date(data.cookie.expires) : new Date(Date.now() + this.idleTimeoutMs);
    this.afterWriteDelay(() => {
      this.collection.updateOne({ _id: sid }, { $set: { session, expires } }, { upsert: true }).then(
        () => {
          this.lastWritten.set(data, { sid, fingerprint });
          process.nextTick(done);
        },
        (error: unknown) => this.fail(storeError('Error saving a session', error), done),
      );
    });
  }

  override touch(sid: string, data: SessionData, callback?: Callback): void {
    const done = callback ?? (() => {});
    const now = this.now();
    if (data.touchedAt !== undefined && now - data.touchedAt < this.touchIntervalMs) {
      process.nextTick(done);
      return;
    }
    const expires = data.cookie.expires ? new Date(data.cookie.expires) : new Date(now + this.idleTimeoutMs);
    this.afterWriteDelay(() => {
      // No upsert: a session destroyed meanwhile (logout elsewhere) must stay destroyed.
      this.collection
        .updateOne(
          { _id: sid },
          { $set: { expires, 'session.cookie': storedCookie(data.cookie), 'session.touchedAt': now } },
        )
        .then(
          () => done(),
          // Only the expiry's extension is lost: the request itself went through, so its response
          // must still reach the shopper. The 'error' event reports it.
          (error: unknown) => this.fail(storeError('Error touching a session', error), () => done()),
        );
    });
  }

  override destroy(sid: string, callback?: Callback): void {
    const done = callback ?? (() => {});
    this.afterWriteDelay(() => {
      this.collection.deleteOne({ _id: sid }).then(
        () => process.nextTick(done),
        (error: unknown) => this.fail(storeError('Error destroying a session', error), done),
      );
    });
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    return this._emitter.emit(event, ...args);
  }

  /**
   * Ends every session of one shopper, except `keepSessionId` when given (the one asking).
   * Returns how many ended. One indexed delete: no scan of the sessions collection.
   */
  async destroyUserSessions(userId: string, keepSessionId?: string): Promise<number> {
    const filter =
      keepSessionId === undefined
        ? { 'session.user._id': userId }
        : { 'session.user._id': userId, _id: { $ne: keepSessionId } };
    const { deletedCount } = await this.collection.deleteMany(filter);
    return deletedCount;
  }

  /** The live sessions, keyed by id, like express-session's MemoryStore. */
  override all(callback: (error: unknown, sessions?: Record<string, SessionData> | null) => void): void {
    this.collection
      .find({ expires: { $gt: new Date() } })
      .toArray()
      .then(
        (documents) => callback(null, Object.fromEntries(documents.map((d) => [d._id, d.session]))),
        (error: unknown) => this.fail(storeError('Error gathering sessions', error), callback),
      );
  }

  override length(callback: (error: unknown, length?: number) => void): void {
    this.collection.countDocuments({ expires: { $gt: new Date() } }).then(
      (count) => callback(null, count),
      (error: unknown) => this.fail(storeError('Error counting sessions', error), callback),
    );
  }

  private afterWriteDelay(write: () => void): void {
    if (this.writeDelayMs > 0) setTimeout(write, this.writeDelayMs);
    else write();
  }

  /** The library's own error path: the 'error' event when someone listens, then the callback. */
  private fail(error: Error, callback: (error: unknown) => void): void {
    this._errorHandler(error, callback);
  }
}

/** The cookie as the library's `set` stores it: `Cookie#toJSON` (not in the type definitions). */
function storedCookie(cookie: SessionData['cookie']): object {
  const serializable = cookie as SessionData['cookie'] & { toJSON?: () => object };
  return typeof serializable.toJSON === 'function' ? serializable.toJSON() : cookie;
}

/** The session's contents apart from the cookie's expiry, which moves on every request (rolling). */
function fingerprintOf(data: SessionData): string {
  return JSON.stringify({ ...data, cookie: { ...storedCookie(data.cookie), expires: undefined } });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The driver's error stays the cause: the error handler tells an outage (503) from a bug by it. */
function storeError(what: string, cause: unknown): Error {
  return new Error(`${what}: ${message(cause)}`, { cause });
}
