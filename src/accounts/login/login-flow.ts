import type { Request, Response } from 'express';
import type { Clock } from '../../platform/clock';
import { startLoggedInSession } from '../../sessions/login';
import type { PendingSecondFactors } from '../../sessions/pending-second-factor';
import type { SecurityLog } from '../../sessions/security-log';
import type { Sessions } from '../../sessions/middleware/session';
import { saveSession } from '../../sessions/session-promises';
import { sessionUserFor } from '../current-user';
import type { SecurityNotices } from '../security-notices';
import type { UserDocument } from '../user.schema';
import type { KnownDevices } from './known-devices';
import { LOGIN_TWO_FACTOR_PATH } from './login-two-factor.routes';

/**
 * How a shopper proved who they are, in the security log's `login` line. A passkey counts as both
 * factors; a provider's login is a first factor unless the next engineer decides otherwise.
 */
export type LoginMethod =
  'password' | 'password+totp' | 'password+recovery-code' | 'password-reset' | 'passkey' | 'openid';

export interface LoginOptions {
  user: UserDocument;
  method: LoginMethod;
  /** A local path (already checked by `localPath`) to go to afterwards; the home page otherwise. */
  returnTo?: string;
  /** The shopper's session generation, when the caller has just moved it (a password reset); else the User's. */
  generation?: number;
  /** `json`: answer `{ location }` instead of redirecting, for a page's script (a passkey login). */
  answer?: 'redirect' | 'json';
}

export interface LoginFlowOptions {
  /** A visitor has no session until a login begins one (sessions/middleware/session.ts). */
  sessions: Pick<Sessions, 'begin'>;
  /** Whether the account has a second factor to ask for (`TwoFactor.isOn`). */
  hasSecondFactor(user: UserDocument): boolean;
  pending: PendingSecondFactors;
  devices: KnownDevices;
  notices: SecurityNotices;
  securityLog: SecurityLog;
  now: Clock;
}

/**
 * Every way of logging in ends here, so that each does the same things in the same order:
 *
 *  - `firstFactorAccepted`: a password was right (or a password reset link used, or a provider
 *    vouched for the shopper): an account with a second factor gets its pending step
 *    (sessions/pending-second-factor.ts) and `LOGIN_TWO_FACTOR_PATH`; any other is logged in;
 *  - `complete`: the shopper is who they say (both factors, or a passkey): the one login step
 *    (`startLoggedInSession`: a new session id, `isLoggedIn`, `user`, the time of this fresh
 *    authentication), the security log's `login` line with its method, the device noted (and a mail
 *    when it is new to the account), the session saved, and only then the redirect.
 */
export class LoginFlow {
  constructor(private readonly options: LoginFlowOptions) {}

  async firstFactorAccepted(req: Request, res: Response, login: LoginOptions): Promise<void> {
    const { user, method, returnTo, generation } = login;
    await this.options.sessions.begin(req, res);
    if (!this.options.hasSecondFactor(user)) {
      await this.complete(req, res, login);
      return;
    }
    await this.options.pending.start(req, {
      userId: user._id.toHexString(),
      generation: generation ?? user.sessionGeneration ?? 0,
      returnTo,
      now: this.options.now(),
    });
    this.options.securityLog.event(req, 'second-factor-required', { userId: user._id.toHexString(), method });
    await saveSession(req);
    res.redirect(LOGIN_TWO_FACTOR_PATH);
  }

  async complete(
    req: Request,
    res: Response,
    { user, method, returnTo, generation, answer }: LoginOptions,
  ): Promise<void> {
    const now = this.options.now();
    await this.options.sessions.begin(req, res);
    await startLoggedInSession(req, {
      user: sessionUserFor(user),
      generation: generation ?? user.sessionGeneration ?? 0,
      loggedInAt: now,
      authenticatedAt: now,
    });
    this.options.securityLog.event(req, 'login', { userId: user._id.toHexString(), method });
    const device = await this.options.devices.note(user, req.get('user-agent'));
    if (device.isNew) this.options.notices.notify(req, user, 'new-device');
    // Redirect only once the session is in the store: the next request must find it there.
    await saveSession(req);
    if (answer === 'json') res.json({ location: returnTo ?? '/' });
    else res.redirect(returnTo ?? '/');
  }
}
