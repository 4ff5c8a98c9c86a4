import crypto from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import cookieParser from 'cookie-parser';
import type { Clock } from '../../platform/clock';
import { isDuplicateKey } from '../../platform/database/duplicate-key';
import { UsedPasskeyChallenge } from './passkey.model';

/** Which ceremony a challenge is for; each has its cookie, sent only to its own endpoint. */
export type CeremonyKind = 'login' | 'add' | 'confirm';

/** How long a ceremony may take, from its options to its answer (the browser's own timeout is 60 s). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

interface ChallengeCookie {
  /** The challenge, base64url, as the options carried it. */
  challenge: string;
  /** The shopper it was made for ('' for a login: nobody is known yet). */
  userId: string;
  /** Until when it may be answered (ms since the epoch), on the shop's clock. */
  expiresAt: number;
}

/**
 * The challenges of the passkey ceremonies, kept in the browser rather than in a session: a
 * visitor's login writes no session document before it succeeds, and the logged-in ceremonies need
 * no new session field. A challenge travels in a short-lived signed cookie (HMAC under the session
 * secret, HttpOnly, SameSite=Strict, sent only to the endpoint that verifies it), bound to the
 * shopper it was made for; it is single-use twice over: the cookie is cleared when it is taken,
 * and its hash is recorded (a unique key with a TTL index), so a response carrying it again is
 * refused even from someone who kept a copy of the cookie.
 */
export class PasskeyChallenges {
  private readonly parseCookies: ReturnType<typeof cookieParser>;

  constructor(
    private readonly options: {
      secrets: string[];
      now: Clock;
      /** Where each ceremony's answer is posted: its cookie goes there only. */
      paths: Record<CeremonyKind, string>;
    },
  ) {
    this.parseCookies = cookieParser(options.secrets);
  }

  /** Keeps `challenge` for the ceremony's answer, in the response's cookie. */
  issue(req: Request, res: Response, kind: CeremonyKind, challenge: string, userId = ''): void {
    const value: ChallengeCookie = { challenge, userId, expiresAt: this.options.now() + CHALLENGE_TTL_MS };
    // What cookie-parser would set: the key Express signs with (as http/flash.ts's cookie).
    req.secret = this.options.secrets[0];
    res.cookie(cookieName(kind), JSON.stringify(value), { ...this.cookieOptions(req, kind), maxAge: CHALLENGE_TTL_MS });
  }

  /**
   * The challenge of this browser's ceremony, once: undefined when there is none, it is not
   * signed by the shop, it is for another ceremony or another shopper, it has expired, or it was
   * used before. The cookie is cleared either way.
   */
  async take(req: Request, res: Response, kind: CeremonyKind, userId = ''): Promise<string | undefined> {
    const signed = await this.signedCookies(req, res);
    res.clearCookie(cookieName(kind), this.cookieOptions(req, kind));
    const cookie = parseChallengeCookie(signed[cookieName(kind)]);
    if (cookie === undefined || cookie.userId !== userId || cookie.expiresAt <= this.options.now()) return undefined;
    try {
      await UsedPasskeyChallenge.create({
        _id: challengeHash(cookie.challenge),
        expiresAt: new Date(cookie.expiresAt),
      });
    } catch (error) {
      if (isDuplicateKey(error)) return undefined;
      throw error;
    }
    return cookie.challenge;
  }

  private cookieOptions(req: Request, kind: CeremonyKind): CookieOptions {
    // Secure whenever the request came over HTTPS (behind a proxy: with TRUST_PROXY set).
    return { path: this.options.paths[kind], httpOnly: true, sameSite: 'strict', secure: req.secure, signed: true };
  }

  private signedCookies(req: Request, res: Response): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      // A no-op when another check of this request parsed them already (with the same secrets).
      this.parseCookies(req, res, () => resolve(req.signedCookies ?? {}));
    });
  }
}

function cookieName(kind: CeremonyKind): string {
  return `passkey-${kind}`;
}

function challengeHash(challenge: string): string {
  return crypto.createHash('sha256').update(challenge).digest('base64url');
}

/** A challenge cookie's content; anything malformed (or unsigned: `false`) is nothing. */
function parseChallengeCookie(value: unknown): ChallengeCookie | undefined {
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { challenge, userId, expiresAt } = parsed as Record<string, unknown>;
  if (typeof challenge !== 'string' || !/^[\w-]{16,128}$/.test(challenge)) return undefined;
  if (typeof userId !== 'string' || typeof expiresAt !== 'number') return undefined;
  return { challenge, userId, expiresAt };
}
