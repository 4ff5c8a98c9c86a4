import type { Request } from 'express';
import type { SessionData } from 'express-session';
import { regenerateSession } from './session-promises';
import { csrfToken } from './csrf';

/** What a session holds of its shopper: plain data, never the mongoose document or the password hash. */
export type SessionUser = NonNullable<SessionData['user']>;

/**
 * The one login step, for a login and for a password change: a new session id (an id planted or
 * stolen before is worth nothing after), the shopper's id and email, the shopper's session
 * generation, and a new CSRF token, so the next page view has nothing to write. `loggedInAt`
 * starts the absolute timeout; a password change passes the original login's time, so that it
 * does not restart the timeout. `authenticatedAt` is when the shopper last proved who they are
 * (a login: now), what sensitive changes look at (accounts/step-up/).
 *
 * Whatever the session held before (a second factor's pending step) goes with its old id.
 * The caller saves the session (`saveSession`) and redirects only once it is in the store.
 */
export async function startLoggedInSession(
  req: Request,
  login: { user: SessionUser; generation: number; loggedInAt: number; authenticatedAt: number },
): Promise<void> {
  await regenerateSession(req);
  // The contract's session document keeps `isLoggedIn`; it is set here and nowhere else.
  req.session.isLoggedIn = true;
  req.session.user = { _id: login.user._id, email: login.user.email };
  req.session.loggedInAt = login.loggedInAt;
  req.session.authenticatedAt = login.authenticatedAt;
  req.session.sessionGeneration = login.generation;
  req.session.device = { userAgent: (req.get('user-agent') ?? '').slice(0, 300), address: req.ip ?? '' };
  csrfToken(req, true);
}

/** The shopper a session is logged in as, or undefined: the one reading of `isLoggedIn` and `user`. */
export function loggedInSessionUser(req: Request): SessionUser | undefined {
  const data = req.session;
  return data?.isLoggedIn === true && data.user ? data.user : undefined;
}

/** When the shopper of this logged-in session last proved who they are; undefined: never in this session. */
export function lastAuthenticatedAt(req: Request): number | undefined {
  const at = loggedInSessionUser(req) ? req.session.authenticatedAt : undefined;
  return typeof at === 'number' ? at : undefined;
}

/** The shopper proved who they are again (a password, later a passkey or the provider): the session remembers when. */
export function markAuthenticated(req: Request, at: number): void {
  if (!loggedInSessionUser(req)) throw new Error('markAuthenticated() on a session that is not logged in');
  req.session.authenticatedAt = at;
}
