import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import cookieParser from 'cookie-parser';
import type { Clock } from '../../platform/clock';
import { SecretBox, SecretBoxError } from '../../platform/crypto/secret-box';
import { deriveKey } from '../../platform/crypto/secret-keys';
import type { SignInChecks } from './openid-connect';

/** Where the cookies go: the sign-in's own pages only (start, callback, linking). */
export const OPENID_COOKIE_PATH = '/login/oidc';
const FLOW_COOKIE = 'oidc';
const LINK_COOKIE = 'oidc-link';
/** How long a visit may spend at the provider, and on the linking page. */
export const SIGN_IN_LIFETIME_MS = 10 * 60_000;

/** What the sign-in was started for. */
export type SignInIntent =
  /** Logging in (or signing up): where to go afterwards. */
  | { kind: 'login'; returnTo?: string }
  /** A logged-in shopper linking the provider to their account. */
  | { kind: 'link'; userId: string }
  /** A logged-in shopper confirming who they are ("Confirm it's you"), then back to `returnTo`. */
  | { kind: 'confirm'; userId: string; returnTo: string };

export interface SignInFlow {
  checks: SignInChecks;
  intent: SignInIntent;
  expiresAt: number;
}

/** A provider's person whose address has an account: linked once that account's password is given. */
export interface PendingLink {
  issuer: string;
  subject: string;
  email: string;
  returnTo?: string;
  expiresAt: number;
}

/**
 * The state of a sign-in between the shop's pages and the provider's, kept by the browser: the
 * `state`, `nonce` and PKCE verifier (secrets until the code is exchanged), then the pending link.
 * Never in a session: a visitor has none before login. Each cookie is sealed with AES-256-GCM
 * (`SecretBox`: encrypted and authenticated) under a key derived from the session secret, bound to
 * its own name, and carries its expiry inside: a changed, swapped or old cookie opens to nothing.
 * HttpOnly, SameSite=Lax (the provider's redirect back is a top-level GET, which Lax lets through),
 * Secure over HTTPS, 10 minutes, and only on /login/oidc.
 */
export class SignInCookies {
  private readonly box: SecretBox;
  private readonly now: Clock;
  /** Parses the request's cookies (cookie-parser, with the shop's secrets, as show-flash does). */
  readonly read: RequestHandler;

  constructor({ secrets, now }: { secrets: readonly string[]; now: Clock }) {
    this.box = new SecretBox(secrets.map((secret) => deriveKey(Buffer.from(secret, 'utf8'), 'openid sign-in cookie')));
    this.now = now;
    this.read = cookieParser([...secrets]);
  }

  startFlow(req: Request, res: Response, checks: SignInChecks, intent: SignInIntent): void {
    const flow: SignInFlow = { checks, intent, expiresAt: this.now() + SIGN_IN_LIFETIME_MS };
    res.cookie(FLOW_COOKIE, this.box.seal(JSON.stringify(flow), FLOW_COOKIE), this.options(req));
  }

  /** The flow this browser started, cleared at once (a callback is good once), or undefined. */
  takeFlow(req: Request, res: Response): SignInFlow | undefined {
    const flow = this.open(req, FLOW_COOKIE);
    this.clear(req, res, FLOW_COOKIE);
    if (!isFlow(flow)) return undefined;
    return flow;
  }

  setPendingLink(req: Request, res: Response, link: Omit<PendingLink, 'expiresAt'>): void {
    const pending: PendingLink = { ...link, expiresAt: this.now() + SIGN_IN_LIFETIME_MS };
    res.cookie(LINK_COOKIE, this.box.seal(JSON.stringify(pending), LINK_COOKIE), this.options(req));
  }

  pendingLink(req: Request): PendingLink | undefined {
    const link = this.open(req, LINK_COOKIE);
    return isPendingLink(link) ? link : undefined;
  }

  clearPendingLink(req: Request, res: Response): void {
    this.clear(req, res, LINK_COOKIE);
  }

  private open(req: Request, name: string): unknown {
    const cookies: Record<string, unknown> = req.cookies ?? {};
    const sealed = cookies[name];
    if (typeof sealed !== 'string' || sealed.length > 4096) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(this.box.open(sealed, name));
    } catch (error) {
      if (error instanceof SecretBoxError || error instanceof SyntaxError) return undefined;
      throw error;
    }
    if (typeof value !== 'object' || value === null) return undefined;
    const { expiresAt } = value as { expiresAt?: unknown };
    return typeof expiresAt === 'number' && this.now() < expiresAt ? value : undefined;
  }

  private options(req: Request): CookieOptions {
    return {
      path: OPENID_COOKIE_PATH,
      httpOnly: true,
      sameSite: 'lax',
      secure: req.secure,
      maxAge: SIGN_IN_LIFETIME_MS,
    };
  }

  private clear(req: Request, res: Response, name: string): void {
    const { maxAge: _maxAge, ...clearing } = this.options(req);
    res.clearCookie(name, clearing);
  }
}

function isFlow(value: unknown): value is SignInFlow {
  if (typeof value !== 'object' || value === null) return false;
  const { checks, intent } = value as Partial<Record<keyof SignInFlow, unknown>>;
  if (typeof checks !== 'object' || checks === null || typeof intent !== 'object' || intent === null) return false;
  const { state, nonce, codeVerifier } = checks as Partial<Record<keyof SignInChecks, unknown>>;
  const { kind } = intent as { kind?: unknown };
  return (
    typeof state === 'string' &&
    typeof nonce === 'string' &&
    typeof codeVerifier === 'string' &&
    (kind === 'login' || kind === 'link' || kind === 'confirm')
  );
}

function isPendingLink(value: unknown): value is PendingLink {
  if (typeof value !== 'object' || value === null) return false;
  const { issuer, subject, email } = value as Partial<Record<keyof PendingLink, unknown>>;
  return typeof issuer === 'string' && typeof subject === 'string' && typeof email === 'string';
}
