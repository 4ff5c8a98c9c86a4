import 'express-session';

declare module 'express-session' {
  interface SessionData {
    isLoggedIn?: boolean;
    /** Only what identifies the shopper: never the password hash, never the whole mongoose document. */
    user?: { _id: string; email: string };
    /** When the shopper logged in (ms since the epoch): the absolute timeout counts from here. */
    loggedInAt?: number;
    /** The shopper's session generation when this session began: a later one ends it (accounts/user.schema.ts). */
    sessionGeneration?: number;
    /** Where the login came from, for the shopper's list of their devices: the browser's words and address. */
    device?: { userAgent: string; address: string };
    /**
     * When the store last wrote this session's expiry (ms since the epoch). Kept by
     * MongoSessionStore's set/touch to throttle touches; application code never changes it.
     */
    touchedAt?: number;
  }
}
