import type { Request } from 'express';
import type { Collection } from 'mongodb';
import type { SessionDocument } from './session-document';
import { loggedInSessionUser } from './login';
import { regenerateSession } from './session-promises';

/**
 * A login whose password was right, waiting for its second factor: all a session holds before
 * the shopper is logged in (`SessionData.secondFactor`). No `isLoggedIn`, no `user`: no page of a
 * shopper opens with it, and loadUser ignores it.
 */
export interface PendingSecondFactor {
  /** The account whose password was right. */
  userId: string;
  /** The account's session generation then: a password change or "log out everywhere" meanwhile voids the step. */
  generation: number;
  /** ms since the epoch: after this the password must be typed again. */
  expiresAt: number;
  /** Wrong codes so far; counted in the session document by one `$inc` (parallel guesses each count). */
  attempts: number;
  /** Where the shopper was going (a local path), after the second factor. */
  returnTo?: string;
}

/** How long the code may take after the password: then the password again. */
export const SECOND_FACTOR_LIFETIME_MS = 5 * 60_000;

/** Wrong codes one pending step takes; the next needs the password again. */
export const SECOND_FACTOR_ATTEMPTS = 5;

/**
 * The pending second step, kept in a session document without `isLoggedIn` (the contract allows
 * it): made on a new session id once the password is right, given up after `lifetimeMs` or
 * `SECOND_FACTOR_ATTEMPTS` wrong codes, replaced by the logged-in session (a new id again) once
 * the code is right (`startLoggedInSession`).
 */
export class PendingSecondFactors {
  constructor(
    private readonly sessions: Collection<SessionDocument>,
    readonly lifetimeMs = SECOND_FACTOR_LIFETIME_MS,
  ) {}

  /** Starts the step on a new session id; the caller saves the session before it redirects. */
  async start(
    req: Request,
    step: { userId: string; generation: number; returnTo?: string; now: number },
  ): Promise<void> {
    await regenerateSession(req);
    req.session.secondFactor = {
      userId: step.userId,
      generation: step.generation,
      expiresAt: step.now + this.lifetimeMs,
      attempts: 0,
      ...(step.returnTo === undefined ? {} : { returnTo: step.returnTo }),
    };
    // The cookie and the stored expiry last as long as the step: MongoDB's TTL index removes it after.
    req.session.cookie.maxAge = this.lifetimeMs;
  }

  /** This visit's pending step while it is good at `now` (not expired, attempts left); else undefined. */
  current(req: Request, now: number): PendingSecondFactor | undefined {
    const step = this.stored(req);
    if (!step || now >= step.expiresAt || step.attempts >= SECOND_FACTOR_ATTEMPTS) return undefined;
    return step;
  }

  /** Whether this visit holds a step at all, good or not (to tell "expired" from "never started"). */
  stored(req: Request): PendingSecondFactor | undefined {
    if (!req.session || loggedInSessionUser(req)) return undefined;
    const step = req.session.secondFactor;
    if (typeof step !== 'object' || step === null) return undefined;
    const { userId, generation, expiresAt, attempts } = step;
    if (typeof userId !== 'string' || typeof expiresAt !== 'number') return undefined;
    if (typeof generation !== 'number' || typeof attempts !== 'number') return undefined;
    return step;
  }

  /**
   * A wrong code: the step's count goes up in the session document itself, in one `$inc`, so
   * that parallel requests of one visit each count (express-session would write back the count
   * it read). Returns the count now; the step is spent at `SECOND_FACTOR_ATTEMPTS`.
   */
  async countWrongCode(req: Request, step: PendingSecondFactor): Promise<number> {
    const counted = await this.sessions.findOneAndUpdate(
      { _id: req.sessionID, 'session.secondFactor.userId': step.userId },
      { $inc: { 'session.secondFactor.attempts': 1 } },
      { returnDocument: 'after', projection: { 'session.secondFactor.attempts': 1 } },
    );
    return counted?.session.secondFactor?.attempts ?? SECOND_FACTOR_ATTEMPTS;
  }
}
