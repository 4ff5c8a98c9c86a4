import session, { type SessionData } from 'express-session';
import connectMongoDBSession from 'connect-mongodb-session';
import type { Request } from 'express';
import { MongoClient, ObjectId, type Collection, type Db, type Document, type MongoClientOptions } from 'mongodb';
import type { Clock } from '../platform/clock';
import { errorMessage } from '../platform/error-message';

const MongoDBStore = connectMongoDBSession(session);

export const SESSIONS_COLLECTION = 'sessions';

/** One document per session, as connect-mongodb-session writes it (the README's Sessions section). */
export interface SessionDocument {
  _id: string;
  expires: Date;
  /**
   * The ObjectId of `session.user._id`, kept beside the session by the store (with
   * `usersCollection`): what `get` joins the User by, through its `_id` index.
   */
  userId?: ObjectId;
  session: SessionData;
}

export interface MongoSessionStoreOptions {
  /** A connection string; `databaseName` picks the database, so it may name another one or none. */
  uri: string;
  /** The shop's own database: sessions live next to the data. */
  databaseName: string;
  /**
   * The shop's own connection to that database (mongoose's), for the store's reads and writes: one
   * pool for the whole process, and the User read with a session comes back as the shop's driver
   * makes documents. Without it the store opens a client of its own.
   */
  database?: Db;
  /**
   * The collection of the users that sessions name (`session.user._id`): `get` reads the session and
   * its user in one command, and `loadedUser` hands the user over. Unset: sessions only.
   */
  usersCollection?: string;
  /** How long a session lives without requests: the document's `expires` when the cookie has none. */
  idleTimeoutMs: number;
  /** A rolling session's new expiry is written at most this often; touches in between send nothing. */
  touchIntervalMs: number;
  /**
   * For the store's clients (e.g. `monitorCommands` to count what they send). A few options
   * only: the library's type definitions carry an older driver's option types. Use the URI for the rest.
   */
  connectionOptions?: Pick<MongoClientOptions, 'monitorCommands' | 'maxPoolSize' | 'serverSelectionTimeoutMS'>;
  /** Tests only: every write waits this long first, to prove that responses wait for the write. */
  writeDelayMs?: number;
  /** The clock used to throttle touches; tests pass a controllable one. */
  now?: Clock;
}

type Callback = (error?: unknown) => void;

/** What `get` found beside the session data, until express-session turns the data into its Session. */
interface Loaded {
  /** Each top-level field of the session as stored, serialized: what a later `set` compares with. */
  fields: Map<string, string>;
  user?: Document;
}

/** Top-level session fields the store writes itself, whatever the request changed. */
const STORE_FIELDS = new Set(['cookie', 'touchedAt']);

/**
 * connect-mongodb-session, completed. express-session + this store is the whole session layer; the
 * library's connection creates the TTL index on `expires` and reports errors, and everything below
 * is written here because the library's versions fall short:
 *
 *  - **A destroyed session stays destroyed.** `set` inserts only a brand-new session (one that
 *    express-session generated in this request); a session it loaded is updated, never upserted.
 *    A request still in flight when its session was destroyed (logout everywhere, a password
 *    change) therefore cannot write it back. `touch` never upserts either.
 *  - **Writes touch only what changed.** A loaded session remembers each top-level field as it was
 *    read; `set` sends `$set`/`$unset` of the fields that differ (plus the cookie and the expiry),
 *    so two parallel requests that change different fields both keep their change.
 *  - **The session and its shopper in one read.** With `usersCollection`, `get` is one aggregation
 *    that also reads the User the session names (`$lookup` by `_id`); `loadedUser(req)` hands it to
 *    loadUser, which hydrates it instead of reading it again.
 *  - `touch` (the library has none): with `rolling` cookies, express-session calls it on every
 *    request whose session did not change. The expiry is written at most once per
 *    `touchIntervalMs`; the session data carries `touchedAt`, the time of the last write, which
 *    `set` and `touch` write to the database but never change in memory.
 *  - `all` and `length` that work, an index on `session.user._id` (`destroyUserSessions`), errors
 *    that keep the driver's error as their `cause` and never name a session id, and `emit` on the
 *    emitter that `on` listens to.
 *  - No second write of what was just written: after `regenerate`, express-session repeats an
 *    explicit `save` at the end of the response; an unchanged repeat is skipped.
 */
export class MongoSessionStore extends MongoDBStore {
  // Set by the library's constructor; `declare` keeps class-field semantics from resetting them.
  declare private initialConnectionPromise: Promise<unknown>;
  declare private _errorHandler: (error: Error, callback: (error: unknown) => void) => void;
  declare private _emitter: NodeJS.EventEmitter;
  /** Given to the store by express-session: a new Session with a new id on the request. */
  declare generate: (req: Request) => void;

  /** The store's reads and writes go through this collection (the shop's driver). */
  readonly sessions: Collection<SessionDocument>;
  /** The client the store's commands go through (to watch them: `monitorCommands`). */
  readonly commandClient: MongoClient;
  /** The shop's database as the store reaches it: other shared state (the rate limits) lives there too. */
  readonly database: Db;
  private readonly ownClient?: MongoClient;
  private readonly usersCollection?: string;
  private readonly idleTimeoutMs: number;
  private readonly touchIntervalMs: number;
  private readonly writeDelayMs: number;
  private readonly now: Clock;
  private readonly indexesReady: Promise<void>;
  /** Keyed by the data object `get` returned, until `createSession` moves it to the Session. */
  private readonly loaded = new WeakMap<object, Loaded>();
  /** Keyed by the request's Session object: its id and its fields as last read or written. */
  private readonly baselines = new WeakMap<object, { sid: string; fields: Map<string, string> }>();
  /** Keyed by the request's Session object, so entries go with the request. */
  private readonly lastWritten = new WeakMap<object, { sid: string; fingerprint: string }>();
  private readonly users = new WeakMap<Request, Document>();

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
    this.usersCollection = options.usersCollection;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.touchIntervalMs = options.touchIntervalMs;
    this.writeDelayMs = options.writeDelayMs ?? 0;
    this.now = options.now ?? Date.now;
    let database = options.database;
    if (!database) {
      this.ownClient = new MongoClient(options.uri, options.connectionOptions);
      database = this.ownClient.db(options.databaseName);
    }
    this.database = database;
    this.sessions = database.collection<SessionDocument>(SESSIONS_COLLECTION);
    this.commandClient = database.client;
    this.indexesReady = this.initialConnectionPromise
      .then(() => this.sessions.createIndex({ 'session.user._id': 1 }))
      .then(
        () => undefined,
        (error: unknown) =>
          this.fail(new Error(`Error creating the session user index: ${errorMessage(error)}`), () => {}),
      );
  }

  /** Resolves once connected and indexed (failures are reported through the 'error' event). */
  async ready(): Promise<void> {
    await this.indexesReady;
  }

  async close(): Promise<void> {
    await this.indexesReady;
    await this.client.close();
    await this.ownClient?.close();
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    this.read(sid).then(
      (document) => {
        if (!document) process.nextTick(() => callback(null, null));
        else if (document.expires && document.expires.getTime() <= this.now())
          this.destroy(sid, (error) => callback(error, null));
        else {
          const data = document.session;
          this.loaded.set(data, { fields: fieldsOf(data), user: document.users?.[0] });
          process.nextTick(() => callback(null, data));
        }
      },
      (error: unknown) => this.fail(storeError('Error finding a session', error), callback),
    );
  }

  /** express-session turns what `get` returned into the request's Session here. */
  override createSession(req: Request, data: SessionData): session.Session & SessionData {
    const created = super.createSession(req, data);
    const loaded = this.loaded.get(data);
    if (loaded) {
      this.baselines.set(created, { sid: req.sessionID, fields: loaded.fields });
      if (loaded.user) this.users.set(req, loaded.user);
    }
    return created;
  }

  /**
   * A new id for the request's session (express-session's `req.session.regenerate`). A session
   * that was never stored (a visitor logging in) has nothing to delete: no command is sent for it.
   */
  override regenerate(req: Request, callback: (error?: unknown) => void): void {
    const wasStored = req.session !== undefined && this.baselines.get(req.session)?.sid === req.sessionID;
    const generate = (error?: unknown) => {
      this.generate(req);
      callback(error);
    };
    if (wasStored) this.destroy(req.sessionID, generate);
    else process.nextTick(generate);
  }

  /** The User document read with this request's session, when `usersCollection` is set. */
  loadedUser(req: Request): Document | undefined {
    return this.users.get(req);
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    const done = callback ?? (() => {});
    const fingerprint = fingerprintOf(data);
    const last = this.lastWritten.get(data);
    if (last?.sid === sid && last.fingerprint === fingerprint) {
      process.nextTick(done);
      return;
    }
    const now = this.now();
    const cookie = storedCookie(data.cookie) as SessionData['cookie'];
    const expires = this.expiryFrom(now, data);
    const known = this.baselines.get(data);
    const baseline = known?.sid === sid ? known.fields : undefined;
    const always = { cookie, expires, touchedAt: now };
    const written = () => {
      this.lastWritten.set(data, { sid, fingerprint });
      this.baselines.set(data, { sid, fields: fieldsOf(data) });
      process.nextTick(done);
    };
    const failed = (error: unknown) => this.fail(storeError('Error saving a session', error), done);
    // Only the fields that changed, and never an upsert: a session destroyed meanwhile matches
    // nothing and stays destroyed.
    const update = (since: Map<string, string>) =>
      this.sessions.updateOne({ _id: sid }, changesOf(data, since, always, this.userIdOf(data))).then(written, failed);
    this.afterWriteDelay(() => {
      if (baseline) {
        void update(baseline);
        return;
      }
      // A session express-session generated in this request: the only kind that is inserted. Its id
      // is new and random; should it exist all the same (a caller other than express-session, with
      // data it did not read here), every field is written, still without an upsert.
      const userId = this.userIdOf(data);
      const document: SessionDocument = {
        _id: sid,
        expires,
        ...(userId ? { userId } : {}),
        session: { ...data, cookie, touchedAt: now },
      };
      this.sessions.insertOne(document).then(written, (error: unknown) => {
        if (isDuplicateKey(error)) void update(new Map());
        else failed(error);
      });
    });
  }

  override touch(sid: string, data: SessionData, callback?: Callback): void {
    const done = callback ?? (() => {});
    const now = this.now();
    if (data.touchedAt !== undefined && now - data.touchedAt < this.touchIntervalMs) {
      process.nextTick(done);
      return;
    }
    const expires = this.expiryFrom(now, data);
    this.afterWriteDelay(() => {
      // No upsert: a session destroyed meanwhile (logout elsewhere) must stay destroyed.
      this.sessions
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
      this.sessions.deleteOne({ _id: sid }).then(
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
    const { deletedCount } = await this.sessions.deleteMany(filter);
    return deletedCount;
  }

  /** A shopper's live sessions, oldest login first: for their list of devices. */
  async sessionsOfUser(userId: string): Promise<Array<{ id: string; session: SessionData }>> {
    const documents = await this.sessions
      .find({ 'session.user._id': userId, expires: { $gt: new Date(this.now()) } })
      .sort({ 'session.loggedInAt': 1 })
      .limit(100)
      .toArray();
    return documents.map((document) => ({ id: document._id, session: document.session }));
  }

  /**
   * Sessions not yet expired at `at`, logged in or not (a visitor has none): for the metrics. One
   * count over the TTL index on `expires`; the metrics ask at most once a minute.
   */
  async countActive(at: Date): Promise<number> {
    return this.sessions.countDocuments({ expires: { $gt: at } });
  }

  /** Ends one session of a shopper, only if it is theirs. Returns whether one ended. */
  async destroyUserSession(userId: string, sessionId: string): Promise<boolean> {
    const { deletedCount } = await this.sessions.deleteOne({ _id: sessionId, 'session.user._id': userId });
    return deletedCount === 1;
  }

  /** After a shopper's email changed: their sessions show the new one. */
  async renameUser(userId: string, email: string): Promise<void> {
    await this.sessions.updateMany({ 'session.user._id': userId }, { $set: { 'session.user.email': email } });
  }

  /** The live sessions, keyed by id, like express-session's MemoryStore. */
  override all(callback: (error: unknown, sessions?: Record<string, SessionData> | null) => void): void {
    this.sessions
      .find({ expires: { $gt: new Date(this.now()) } })
      .toArray()
      .then(
        (documents) => callback(null, Object.fromEntries(documents.map((d) => [d._id, d.session]))),
        (error: unknown) => this.fail(storeError('Error gathering sessions', error), callback),
      );
  }

  override length(callback: (error: unknown, length?: number) => void): void {
    this.sessions.countDocuments({ expires: { $gt: new Date(this.now()) } }).then(
      (count) => callback(null, count),
      (error: unknown) => this.fail(storeError('Error counting sessions', error), callback),
    );
  }

  /** The session document, and with `usersCollection` the User it names, in one command. */
  private async read(sid: string): Promise<(SessionDocument & { users?: Document[] }) | null> {
    if (!this.usersCollection) return this.sessions.findOne({ _id: sid });
    const [document] = await this.sessions
      .aggregate<SessionDocument & { users: Document[] }>([
        { $match: { _id: sid } },
        { $limit: 1 },
        { $lookup: { from: this.usersCollection, localField: 'userId', foreignField: '_id', as: 'users' } },
      ])
      .toArray();
    return document ?? null;
  }

  /** The ObjectId the session's user id names, when there is a user and a users collection to join. */
  private userIdOf(data: SessionData): ObjectId | undefined {
    const id = data.user?._id;
    return this.usersCollection && typeof id === 'string' && ObjectId.isValid(id) && id.length === 24
      ? new ObjectId(id)
      : undefined;
  }

  /**
   * When a session written now expires: the cookie's lifetime (the idle timeout) from the store's
   * clock, so that the store decides expiry by one clock, which tests can move.
   */
  private expiryFrom(now: number, data: SessionData): Date {
    const lifetime = data.cookie.originalMaxAge ?? this.idleTimeoutMs;
    return new Date(now + lifetime);
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

/** The update of a loaded session: the fields that differ from `baseline`, the cookie and the expiry. */
function changesOf(
  data: SessionData,
  baseline: Map<string, string>,
  always: { cookie: SessionData['cookie']; expires: Date; touchedAt: number },
  userId: ObjectId | undefined,
): Document {
  const $set: Document = {
    expires: always.expires,
    'session.cookie': always.cookie,
    'session.touchedAt': always.touchedAt,
  };
  const $unset: Document = {};
  const current = new Set<string>();
  for (const [field, value] of applicationFields(data)) {
    current.add(field);
    if (baseline.get(field) !== JSON.stringify(value)) {
      $set[`session.${field}`] = value;
      if (field === 'user' && userId) $set.userId = userId;
    }
  }
  if (baseline.has('user') && !current.has('user')) $unset.userId = '';
  for (const field of baseline.keys()) {
    if (!current.has(field)) $unset[`session.${field}`] = '';
  }
  return Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
}

/** The top-level fields the application keeps in the session (not the cookie, not `touchedAt`). */
function applicationFields(data: SessionData): Array<[string, unknown]> {
  return Object.entries(data).filter(([field, value]) => {
    if (STORE_FIELDS.has(field) || value === undefined) return false;
    // Field names are the shop's own (session.d.ts); a path character would address something else.
    if (field.includes('.') || field.startsWith('$')) throw new Error('a session field name may not hold . or $');
    return true;
  });
}

/** Each application field, serialized: what a later write compares with. */
function fieldsOf(data: SessionData): Map<string, string> {
  return new Map(applicationFields(data).map(([field, value]) => [field, JSON.stringify(value)]));
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

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/** The driver's error stays the cause: the error handler tells an outage (503) from a bug by it. */
function storeError(what: string, cause: unknown): Error {
  return new Error(`${what}: ${errorMessage(cause)}`, { cause });
}
