import { EventEmitter } from 'node:events';
import session from 'express-session';
import connectMongoDBSession from 'connect-mongodb-session';
import type { Collection, Db, MongoClientOptions } from 'mongodb';
import { errorLine } from '../platform/error-message';
import { SESSIONS_COLLECTION, createSessionIndexes, type SessionDocument } from './session-document';

const MongoDBStore = connectMongoDBSession(session);

export interface BaseSessionStoreOptions {
  /** Where `database` is: the library's constructor opens a client on it for its index. */
  uri: string;
  /** The shop's database through the shop's own client (mongoose's): every command goes through it. */
  database: Db;
  /** How long a session lives without requests (the library's `expires`). */
  idleTimeoutMs: number;
  /** For the library's client, which lives only until its index exists. */
  connectionOptions?: Pick<MongoClientOptions, 'serverSelectionTimeoutMS'>;
}

/**
 * connect-mongodb-session as the shop's base, through its public surface only. Its constructor
 * opens a client of its own to create the TTL index on `expires`; that client is closed as soon as
 * it has (its pool would stay open, idle, for the life of the process), and every command goes
 * through `database`, the shop's client: one pool per process. Its events are the store's own,
 * and its errors keep the driver's error as their `cause` and name no session id.
 */
export class BaseSessionStore extends MongoDBStore {
  /** The shop's database as the store reaches it: the shopper's sessions and the rate limits use it too. */
  readonly database: Db;
  readonly sessions: Collection<SessionDocument>;
  private readonly started: Promise<void>;

  constructor(options: BaseSessionStoreOptions) {
    // The library calls back once its index exists, or with the error that kept it from connecting
    // (a callback also keeps that from being an unhandled rejection); a second call changes nothing.
    let libraryDone!: (error?: Error) => void;
    const library = new Promise<Error | undefined>((resolve) => (libraryDone = resolve));
    const { uri, database, connectionOptions } = options;
    const names = { databaseName: database.databaseName, collection: SESSIONS_COLLECTION };
    super({ uri, ...names, expires: options.idleTimeoutMs, connectionOptions }, (error) => libraryDone(error));
    this.database = database;
    this.sessions = database.collection<SessionDocument>(SESSIONS_COLLECTION);
    this.started = this.start(library);
  }

  /** Resolves once the library's client is closed and the indexes exist (failures: the 'error' event). */
  ready(): Promise<void> {
    return this.started;
  }

  /** The client left open is the caller's: this waits for the start-up to finish. */
  async close(): Promise<void> {
    await this.started;
  }

  // The library sends `on` and `once` to an emitter of its own, while `emit` and `off` stay the
  // store's (express-session listens with `on`): all of them on the store itself.
  override on(...args: Parameters<EventEmitter['on']>): this {
    EventEmitter.prototype.on.apply(this, args);
    return this;
  }

  override once(...args: Parameters<EventEmitter['once']>): this {
    EventEmitter.prototype.once.apply(this, args);
    return this;
  }

  /**
   * Runs `work` and calls back outside its promise chain: with what it resolved to, or with an
   * error whose `cause` is the driver's (the error handler tells an outage, 503, from a bug by it),
   * after the 'error' event, as the library reports its errors.
   */
  protected answer<T>(what: string, callback: (error: unknown, result?: T) => void, work: () => Promise<T>): void {
    work().then(
      (result) => process.nextTick(() => callback(null, result)),
      (cause: unknown) => this.fail(new Error(`${what}: ${errorLine(cause)}`, { cause }), callback),
    );
  }

  private fail(error: Error, callback: (error: unknown) => void): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    callback(error);
  }

  private async start(library: Promise<Error | undefined>): Promise<void> {
    const libraryError = await library;
    await this.client.close();
    if (libraryError) this.fail(libraryError, () => {});
    // Through the shop's client too: the library gives up on its index when its first attempt fails.
    await new Promise((resolve) =>
      this.answer('Error creating the session indexes', resolve, () => createSessionIndexes(this.sessions)),
    );
  }
}
