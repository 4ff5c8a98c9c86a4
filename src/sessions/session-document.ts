import type { SessionData } from 'express-session';
import type { Collection, Document, ObjectId } from 'mongodb';

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

/**
 * Expired sessions go by the TTL index on `expires` (MongoDB deletes them); a shopper's are found
 * by the index on `session.user._id` (their devices, logging out everywhere).
 */
export async function createSessionIndexes(sessions: Collection<SessionDocument>): Promise<void> {
  await sessions.createIndexes([{ key: { expires: 1 }, expireAfterSeconds: 0 }, { key: { 'session.user._id': 1 } }]);
}

/** A session document and, when `usersCollection` is given, the User it names (`users`: none or one). */
export type SessionWithUser = SessionDocument & { users?: Document[] };

/**
 * The session document, and with `usersCollection` the User it names, in one command: an
 * aggregation that joins the User by `userId` through its `_id` index.
 */
export async function findSession(
  sessions: Collection<SessionDocument>,
  sid: string,
  usersCollection: string | undefined,
): Promise<SessionWithUser | null> {
  if (!usersCollection) return sessions.findOne({ _id: sid });
  const [document] = await sessions
    .aggregate<SessionWithUser>([
      { $match: { _id: sid } },
      { $limit: 1 },
      { $lookup: { from: usersCollection, localField: 'userId', foreignField: '_id', as: 'users' } },
    ])
    .toArray();
  return document ?? null;
}
