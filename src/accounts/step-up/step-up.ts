import type { Request, RequestHandler } from 'express';
import type { Types } from 'mongoose';
import type { Clock } from '../../platform/clock';
import { lastAuthenticatedAt, markAuthenticated } from '../../sessions/login';
import type { SecurityLog } from '../../sessions/security-log';
import type { UserDocument } from '../user.schema';

/** The "Confirm it's you" page: `?returnTo=` the page or form that asked. */
export const CONFIRM_PATH = '/account/confirm';

/** How a shopper proved who they are for a sensitive change. */
export type StepUpMethod = 'login' | 'password' | 'passkey' | 'openid';

const ISSUER = Symbol('step-up');

/**
 * Proof that the shopper proved who they are within `SESSION_REAUTH_MINUTES`: what every sensitive
 * change of a service takes (a new password, a new email, the second factor on or off, new
 * recovery codes, deleting the account; passkeys and providers next). Only `StepUp` makes one, so
 * a controller cannot call such a change without asking it first.
 */
export class FreshAuthentication {
  constructor(
    issuer: typeof ISSUER,
    readonly userId: string,
    /** `login`: the session's own login (or a confirmation) was recent enough; else what was just given. */
    readonly method: StepUpMethod,
  ) {
    if (issuer !== ISSUER) throw new Error('only StepUp makes a FreshAuthentication');
  }

  /** A service's check that the proof is for the account it changes. */
  assertFor(user: { _id: Types.ObjectId }): void {
    if (user._id.toHexString() !== this.userId) throw new Error('a FreshAuthentication of another account');
  }
}

/**
 * Another way to confirm on the "Confirm it's you" page, beside the password: the extension point
 * for passkeys and the OpenID provider. The page includes `view` (a partial under views/, escaped
 * output only, no inline script) with the locals `{ returnTo, csrfToken, user }` for each option
 * offered to the shopper; whatever the option does, once it has verified the shopper it calls
 * `StepUp.confirmed(req, user, method)`, saves the session and redirects to `returnTo`.
 */
export interface StepUpOption {
  id: Exclude<StepUpMethod, 'login' | 'password'>;
  view: string;
  offeredTo(user: UserDocument): boolean | Promise<boolean>;
}

export type StepUpCheck = { ok: true; proof: FreshAuthentication } | { ok: false; reason: 'wrong-password' | 'stale' };

export interface StepUpOptions {
  /** `SESSION_REAUTH_MINUTES`. */
  windowMs: number;
  now: Clock;
  checkPassword(user: UserDocument, password: string): Promise<boolean>;
  securityLog: SecurityLog;
  /** The other ways to confirm (passkeys, provider); the password is always offered to an account that has one. */
  options?: StepUpOption[];
}

/** Whether the account can confirm with a password (an account made by an OpenID provider may have none). */
export function hasPassword(user: Pick<UserDocument, 'password'>): boolean {
  return typeof user.password === 'string' && user.password.length > 0;
}

/**
 * A fresh login for what matters (GitHub's "sudo mode"): within `windowMs` of the session's last
 * authentication (`authenticatedAt`: every login sets it, and so does confirming) a sensitive
 * change asks for nothing more; past it, the current password (or another way, on the confirm
 * page). A password sent along is always checked, fresh or not, and a right one makes the session
 * fresh again.
 */
export class StepUp {
  private readonly windowMs: number;
  private readonly now: Clock;
  private readonly checkPassword: StepUpOptions['checkPassword'];
  private readonly securityLog: SecurityLog;
  private readonly options: StepUpOption[];

  constructor(options: StepUpOptions) {
    this.windowMs = options.windowMs;
    this.now = options.now;
    this.checkPassword = options.checkPassword;
    this.securityLog = options.securityLog;
    this.options = options.options ?? [];
  }

  get windowMinutes(): number {
    return Math.round(this.windowMs / 60_000);
  }

  /** Whether the session's last authentication is recent enough. */
  isFresh(req: Request): boolean {
    const at = lastAuthenticatedAt(req);
    return at !== undefined && this.now() - at < this.windowMs;
  }

  /** Whether a sensitive form shows the current password field: past the window, for an account with a password. */
  asksPassword(req: Request, user: UserDocument): boolean {
    return !this.isFresh(req) && hasPassword(user);
  }

  /**
   * A sensitive form's check: `currentPassword` as the form sent it (undefined when it has no such
   * field). Sent, it must be right (and freshens the session); not sent, the session must be fresh.
   */
  async check(req: Request, user: UserDocument, currentPassword: unknown): Promise<StepUpCheck> {
    if (typeof currentPassword === 'string') {
      if (!hasPassword(user) || !(await this.checkPassword(user, currentPassword)))
        return { ok: false, reason: 'wrong-password' };
      return { ok: true, proof: this.confirmed(req, user, 'password') };
    }
    if (!this.isFresh(req)) return { ok: false, reason: 'stale' };
    return { ok: true, proof: new FreshAuthentication(ISSUER, user._id.toHexString(), 'login') };
  }

  /**
   * The shopper has just proved who they are (`method`): the session is fresh again from now, and
   * the security log says so. For the confirm page's options (passkey, provider) and the password.
   */
  confirmed(req: Request, user: UserDocument, method: Exclude<StepUpMethod, 'login'>): FreshAuthentication {
    markAuthenticated(req, this.now());
    this.securityLog.event(req, 'step-up', { userId: user._id.toHexString(), method });
    return new FreshAuthentication(ISSUER, user._id.toHexString(), method);
  }

  /** The other ways this shopper may confirm, for the confirm page. */
  async optionsFor(user: UserDocument): Promise<StepUpOption[]> {
    const offered = await Promise.all(this.options.map((option) => option.offeredTo(user)));
    return this.options.filter((_, index) => offered[index]);
  }

  /** The confirm page, coming back to `returnTo` (a local path). */
  confirmHref(returnTo: string): string {
    return `${CONFIRM_PATH}?returnTo=${encodeURIComponent(returnTo)}`;
  }

  /** For a sensitive page (GET): fresh, or to the confirm page and back. Mount after `requireLogin`. */
  readonly requireFresh: RequestHandler = (req, res, next) => {
    if (this.isFresh(req)) next();
    else res.redirect(this.confirmHref(req.originalUrl));
  };
}
