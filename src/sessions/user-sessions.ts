import type { SessionData } from 'express-session';
import type { Collection, Db } from 'mongodb';
import type { Clock } from '../platform/clock';
import { SESSIONS_COLLECTION, type SessionDocument } from './session-document';

/** One of a shopper's sessions: its id (never shown: see SessionReferences) and its data. */
export interface UserSession {
  id: string;
  session: SessionData;
}

/**
 * A shopper's sessions, found by the index on `session.user._id`: their devices page, ending one or
 * all of them (a password change, logging out everywhere, deleting the account), their new email
 * after a change, and the count of live sessions for the metrics. express-session's store keeps one
 * session at a time; this is what the accounts and the metrics need beyond it.
 */
export class UserSessions {
  private readonly sessions: Collection<SessionDocument>;

  /** `database`: the store's (`MongoSessionStore#database`), so that both go through one client. */
  constructor(
    database: Db,
    private readonly now: Clock,
  ) {
    this.sessions = database.collection<SessionDocument>(SESSIONS_COLLECTION);
  }

  /**
   * One page of a shopper's live sessions, newest login first (an intruder's comes first), and how
   * many there are: on their devices page every one must be reachable.
   */
  async list(
    userId: string,
    page: { skip: number; limit: number },
  ): Promise<{ sessions: UserSession[]; total: number }> {
    const filter = this.liveOf(userId);
    const [documents, total] = await Promise.all([
      // Sorted after the look-up by the shopper's id; the id breaks ties, so pages neither repeat nor skip one.
      this.sessions.find(filter).sort({ 'session.loggedInAt': -1, _id: 1 }).skip(page.skip).limit(page.limit).toArray(),
      this.sessions.countDocuments(filter),
    ]);
    return { sessions: documents.map((document) => ({ id: document._id, session: document.session })), total };
  }

  /** The ids of all of a shopper's live sessions: to find the one a form names, whatever page showed it. */
  async ids(userId: string): Promise<string[]> {
    const documents = await this.sessions.find(this.liveOf(userId), { projection: { _id: 1 } }).toArray();
    return documents.map((document) => document._id);
  }

  /** Ends one session of a shopper, only if it is theirs. Returns whether one ended. */
  async end(userId: string, sessionId: string): Promise<boolean> {
    const { deletedCount } = await this.sessions.deleteOne({ _id: sessionId, 'session.user._id': userId });
    return deletedCount === 1;
  }

  /** Ends every session of a shopper, except `keepSessionId` when given. Returns how many ended: one indexed delete. */
  async endAll(userId: string, keepSessionId?: string): Promise<number> {
    const filter =
      keepSessionId === undefined
        ? { 'session.user._id': userId }
        : { 'session.user._id': userId, _id: { $ne: keepSessionId } };
    const { deletedCount } = await this.sessions.deleteMany(filter);
    return deletedCount;
  }

  /** After a shopper's email changed: their sessions show the new one. */
  async rename(userId: string, email: string): Promise<void> {
    await this.sessions.updateMany({ 'session.user._id': userId }, { $set: { 'session.user.email': email } });
  }

  /**
   * Sessions not yet expired at `at`, logged in or not (a visitor has none): for the metrics. One
   * count over the TTL index on `expires`; the metrics ask at most once a minute.
   */
  async countActive(at: Date): Promise<number> {
    return this.sessions.countDocuments({ expires: { $gt: at } });
  }

  private liveOf(userId: string) {
    return { 'session.user._id': userId, expires: { $gt: new Date(this.now()) } };
  }
}
