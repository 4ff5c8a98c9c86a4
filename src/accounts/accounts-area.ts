import type { Parent } from '../http/area-router';
import type { RateLimitCounters } from '../http/rate-limit-store';
import type { Clock } from '../platform/clock';
import type { Config } from '../platform/config';
import type { CrashHook } from '../platform/crash-points';
import type { Logger } from '../platform/logger';
import type { Mailer } from '../platform/mailer';
import type { FormChecks } from '../sessions/middleware/csrf';
import type { Sessions } from '../sessions/middleware/session';
import { PendingSecondFactors } from '../sessions/pending-second-factor';
import type { SecurityLog } from '../sessions/security-log';
import type { SessionCookie } from '../sessions/session-cookie';
import type { SessionReferences } from '../sessions/session-references';
import type { UserSessions } from '../sessions/user-sessions';
import type { MongoSessionStore } from '../sessions/mongo-session-store';
import { createAccountController } from './account.controller';
import { accountRoutes } from './account.routes';
import type { AccountDeletionHook } from './account-deletion';
import { Accounts } from './accounts.service';
import { createAuthController } from './auth.controller';
import { authRoutes } from './auth.routes';
import { KnownDevices } from './login/known-devices';
import { LoginFlow } from './login/login-flow';
import { createLoginTwoFactorController } from './login/login-two-factor.controller';
import { loginTwoFactorRoutes } from './login/login-two-factor.routes';
import { createAuthRateLimits } from './middleware/rate-limits';
import { OpenIdSignIn } from './openid/openid-sign-in';
import { createPasskeysArea } from './passkeys/passkeys-area';
import { SecurityNotices } from './security-notices';
import { createConfirmController } from './step-up/confirm.controller';
import { StepUp } from './step-up/step-up';
import { stepUpRoutes } from './step-up/step-up.routes';
import { createTwoFactorController } from './two-factor/two-factor.controller';
import { twoFactorRoutes } from './two-factor/two-factor.routes';
import { TwoFactor } from './two-factor/two-factor.service';
import type { UserModel } from './user.schema';

export interface AccountsAreaDeps {
  config: Config;
  /** The User model (src/user.model.ts), with every area's part. */
  users: UserModel;
  mailer: Mailer;
  sessionStore: MongoSessionStore;
  sessions: Sessions;
  userSessions: UserSessions;
  sessionReferences: SessionReferences;
  cookie: SessionCookie;
  securityLog: SecurityLog;
  counters: RateLimitCounters;
  logger: Logger;
  now: Clock;
  crash: CrashHook;
  /** What the areas above do when an account goes (cart/hooks.ts). */
  onAccountDeleted: AccountDeletionHook[];
}

export interface AccountsArea {
  accounts: Accounts;
  /** The button's word on the login and signup pages ("Log in with <label>"), when OIDC_* are set. */
  openIdLabel?: string;
  /** Mounts the accounts' routers, each at its path with its own forms' checks. */
  mount(app: Parent, csrf: FormChecks): void;
}

/**
 * The accounts area put together for app.ts: who shoppers are (Accounts), how they prove it (the
 * password, the second factor, passkeys, an OpenID provider when OIDC_* are set), a fresh login for
 * what matters (step-up), the mail and log lines of every change to that, and the one way every
 * login ends (LoginFlow); then its routers.
 */
export function createAccountsArea(deps: AccountsAreaDeps): AccountsArea {
  const { config, users, mailer, sessionStore, cookie, securityLog, counters, logger, now } = deps;
  const rateLimits = createAuthRateLimits(config, { counters, logger });
  // Passkeys first: an account with one may drop its last link to the provider.
  const passkeys = createPasskeysArea(config, { users, now });
  const oidc = config.accountSecurity.oidc;
  const openId =
    oidc &&
    new OpenIdSignIn({
      settings: oidc,
      users,
      secrets: config.sessionSecrets,
      now,
      hasOtherWayIn: (userId) => passkeys.passkeys.has(userId),
    });
  const accounts = new Accounts({
    users,
    bcryptRounds: config.bcryptRounds,
    userSessions: deps.userSessions,
    mailer,
    publicUrl: config.publicUrl,
    now,
    onPasswordReset: rateLimits.forgetFailedLogins,
    // A deleted account's links to the provider go, and what the other areas hold of it.
    onAccountDeleted: [...(openId ? [openId.onAccountDeleted] : []), ...deps.onAccountDeleted],
    crash: deps.crash,
  });
  const twoFactor = new TwoFactor({ users, keys: config.accountSecurity.totpKeys, now });
  const stepUp = new StepUp({
    windowMs: config.session.freshLoginMs,
    now,
    checkPassword: (user, password) => accounts.checkPassword(user, password),
    securityLog,
    options: [passkeys.stepUpOption, ...(openId ? [openId.stepUpOption] : [])],
  });
  const notices = new SecurityNotices({ mailer, publicUrl: config.publicUrl, securityLog, now });
  const pending = new PendingSecondFactors(sessionStore.sessions);
  const flow = new LoginFlow({
    sessions: deps.sessions,
    // Whatever TOTP_KEY says: an account with a second factor is never let in on its password alone.
    hasSecondFactor: (user) => twoFactor.isOn(user),
    pending,
    devices: new KnownDevices(users, config.sessionSecrets, now),
    notices,
    securityLog,
    now,
  });

  function mount(app: Parent, csrf: FormChecks): void {
    const limits = rateLimits;
    const mailIsOn = mailer.kind !== 'off';
    authRoutes(app, {
      auth: createAuthController({ accounts, cookie, securityLog, flow, notices, mailIsOn }),
      limits,
      csrf,
    });
    loginTwoFactorRoutes(app, {
      loginTwoFactor: createLoginTwoFactorController({ twoFactor, pending, flow, securityLog, cookie, now }),
      limits,
      csrf,
    });
    accountRoutes(app, {
      account: createAccountController({
        accounts,
        cookie,
        securityLog,
        userSessions: deps.userSessions,
        sessionReferences: deps.sessionReferences,
        stepUp,
        notices,
        twoFactor,
        now,
        openId,
      }),
      limits,
      csrf,
    });
    if (openId) {
      openId.mount(app, {
        config,
        rateLimitContext: { counters, logger },
        logger,
        accounts,
        flow,
        stepUp,
        notices,
        securityLog,
        limits,
        csrf,
      });
    }
    // Without TOTP_KEY (production) the second factor is not offered: no such pages.
    if (twoFactor.offered) {
      twoFactorRoutes(app, {
        twoFactor: createTwoFactorController({ twoFactor, stepUp, notices, securityLog }),
        limits,
        csrf,
      });
    }
    stepUpRoutes(app, { confirm: createConfirmController({ stepUp }), limits, csrf });
    passkeys.routes(app, { stepUp, notices, flow, securityLog, limits, csrf, counters, logger });
  }

  return { accounts, openIdLabel: openId ? openId.label : undefined, mount };
}
