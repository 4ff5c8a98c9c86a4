import 'express-session';
import type { PendingSecondFactor } from '../sessions/pending-second-factor';

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
     * When the shopper last proved who they are (ms since the epoch): at every login, and on the
     * "Confirm it's you" page. Sensitive changes need it within SESSION_REAUTH_MINUTES (accounts/step-up/).
     */
    authenticatedAt?: number;
    /**
     * A login waiting for its second factor, in a session that is not logged in (no `isLoggedIn`,
     * no `user`): whose password was right, until when, how many wrong codes so far, the shopper's
     * session generation then (a password change meanwhile voids it), and where to go afterwards.
     */
    secondFactor?: PendingSecondFactor;
    /**
     * When the store last wrote this session's expiry (ms since the epoch). Kept by
     * MongoSessionStore's set/touch to throttle touches; application code never changes it.
     */
    touchedAt?: number;
  }
}
