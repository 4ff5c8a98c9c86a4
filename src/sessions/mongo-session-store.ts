import type { Session, SessionData } from 'express-session';
import type { Request } from 'express';
import type { Document } from 'mongodb';
import type { Clock } from '../platform/clock';
import { isDuplicateKey } from '../platform/database/duplicate-key';
import { BaseSessionStore, type BaseSessionStoreOptions } from './base-session-store';
import { findSession } from './session-document';
import { SessionChanges, sessionUserId, storedCookie, updateOf } from './session-changes';

export interface MongoSessionStoreOptions extends BaseSessionStoreOptions {
  /** The users that sessions name (`session.user._id`): `get` reads both in one command. Unset: sessions only. */
  usersCollection?: string;
  /** A rolling session's new expiry is written at most this often; touches in between send nothing. */
  touchIntervalMs: number;
  /** The clock that decides expiry and throttles touches; tests pass a controllable one. */
  now?: Clock;
}

type Callback = (error?: unknown) => void;

/**
 * express-session's store, over connect-mongodb-session (`base-session-store.ts`: the shop's client,
 * the library's events and errors), with what the library's methods lack:
 *
 *  - **A destroyed session stays destroyed.** `set` inserts only a session express-session made in
 *    this request; one it loaded is updated, never upserted, and neither is a touch: a request in
 *    flight when its session was destroyed (logout everywhere, a password change) cannot bring it back.
 *  - **Writes send what changed** (`session-changes.ts`), and an unchanged repeat sends nothing.
 *  - **The session and its shopper in one read**: with `usersCollection`, `get` is one aggregation
 *    that joins the User (`$lookup` by `_id`); `loadedUser(req)` hands it to loadUser.
 *  - **A throttled `touch`** (the library has none): the expiry is written at most once per
 *    `touchIntervalMs`; the session carries `touchedAt`, the time of that write.
 *  - `all`, `length` and `clear` that work, on the live sessions by the store's clock.
 */
export class MongoSessionStore extends BaseSessionStore {
  /** Given to the store by express-session: a new Session with a new id on the request. */
  declare generate: (req: Request) => void;
  private readonly usersCollection?: string;
  private readonly idleTimeoutMs: number;
  private readonly touchIntervalMs: number;
  private readonly now: Clock;
  private readonly changes = new SessionChanges();
  /** The User read with a session: keyed by the data `get` returned, then by the request. */
  private readonly usersRead = new WeakMap<object, Document>();
  private readonly users = new WeakMap<Request, Document>();

  constructor(options: MongoSessionStoreOptions) {
    super(options);
    this.usersCollection = options.usersCollection;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.touchIntervalMs = options.touchIntervalMs;
    this.now = options.now ?? Date.now;
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    this.answer('Error finding a session', callback, async () => {
      const document = await findSession(this.sessions, sid, this.usersCollection);
      if (!document) return null;
      if (document.expires && document.expires.getTime() <= this.now()) {
        await this.sessions.deleteOne({ _id: sid });
        return null;
      }
      this.changes.wasRead(document.session);
      if (document.users?.[0]) this.usersRead.set(document.session, document.users[0]);
      return document.session;
    });
  }

  /** express-session turns what `get` returned into the request's Session here. */
  override createSession(req: Request, data: SessionData): Session & SessionData {
    const created = super.createSession(req, data);
    this.changes.becameSession(data, created, req.sessionID);
    const user = this.usersRead.get(data);
    if (user) this.users.set(req, user);
    return created;
  }

  /** A new id for the request's session; one never stored (a visitor logging in) costs no command. */
  override regenerate(req: Request, callback: Callback): void {
    const generate = (error?: unknown) => {
      this.generate(req);
      callback(error);
    };
    if (req.session !== undefined && this.changes.isStored(req.session, req.sessionID))
      this.destroy(req.sessionID, generate);
    else process.nextTick(generate);
  }

  /** The User document read with this request's session, when `usersCollection` is set. */
  loadedUser(req: Request): Document | undefined {
    return this.users.get(req);
  }

  override set(sid: string, data: SessionData, callback: Callback = () => {}): void {
    const write = this.changes.write(sid, data);
    if (write.repeat) return process.nextTick(callback);
    this.answer('Error saving a session', callback, async () => {
      const now = this.now();
      const always = { cookie: storedCookie(data.cookie), expires: this.expiryFrom(now, data), touchedAt: now };
      const userId = this.usersCollection ? sessionUserId(data) : undefined;
      if (!write.baseline) {
        // A session express-session made in this request: the only kind inserted. Should its new,
        // random id exist all the same (data not read here), every field is written, still no upsert.
        const session = { ...data, cookie: always.cookie as SessionData['cookie'], touchedAt: now };
        try {
          await this.sessions.insertOne({ _id: sid, expires: always.expires, ...(userId ? { userId } : {}), session });
          return write.done();
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
      }
      // Only what changed, and never an upsert: a session destroyed meanwhile matches nothing.
      await this.sessions.updateOne({ _id: sid }, updateOf(data, write.baseline ?? new Map(), always, userId));
      write.done();
    });
  }

  override touch(sid: string, data: SessionData, callback: Callback = () => {}): void {
    const now = this.now();
    // Nothing to write: answered at once, express-session then sends the page in one write (an
    // answer on a later tick makes it write all but the page's last byte first, and that byte after).
    if (data.touchedAt !== undefined && now - data.touchedAt < this.touchIntervalMs) return callback();
    const cookie = storedCookie(data.cookie);
    const $set = { expires: this.expiryFrom(now, data), 'session.cookie': cookie, 'session.touchedAt': now };
    // No upsert (a session destroyed meanwhile stays so). A failure loses only the extension: the
    // request went through, so its response must still go out; the 'error' event reports it.
    const extend = () => this.sessions.updateOne({ _id: sid }, { $set });
    this.answer('Error touching a session', () => callback(), extend);
  }

  override destroy(sid: string, callback: Callback = () => {}): void {
    this.answer('Error destroying a session', callback, () => this.sessions.deleteOne({ _id: sid }));
  }

  /** The live sessions, keyed by id, like express-session's MemoryStore. */
  override all(callback: (error: unknown, sessions?: Record<string, SessionData> | null) => void): void {
    this.answer('Error gathering sessions', callback, async () => {
      const documents = await this.sessions.find({ expires: { $gt: new Date(this.now()) } }).toArray();
      return Object.fromEntries(documents.map((document) => [document._id, document.session]));
    });
  }

  override length(callback: (error: unknown, length?: number) => void): void {
    this.answer('Error counting sessions', callback, () =>
      this.sessions.countDocuments({ expires: { $gt: new Date(this.now()) } }),
    );
  }

  override clear(callback: Callback = () => {}): void {
    this.answer('Error clearing sessions', callback, () => this.sessions.deleteMany({}));
  }

  /** The cookie's lifetime (the idle timeout) from the store's clock: one clock, which tests can move. */
  private expiryFrom(now: number, data: SessionData): Date {
    return new Date(now + (data.cookie.originalMaxAge ?? this.idleTimeoutMs));
  }
}
