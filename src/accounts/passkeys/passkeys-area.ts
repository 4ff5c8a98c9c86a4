import type { Parent } from '../../http/area-router';
import type { RateLimitContext } from '../../http/middleware/rate-limit';
import type { Clock } from '../../platform/clock';
import type { Config } from '../../platform/config';
import type { SecurityLog } from '../../sessions/security-log';
import type { FormChecks } from '../../sessions/middleware/csrf';
import type { LoginFlow } from '../login/login-flow';
import type { AuthRateLimits } from '../middleware/rate-limits';
import type { SecurityNotices } from '../security-notices';
import type { StepUp, StepUpOption } from '../step-up/step-up';
import type { UserModel } from '../user.schema';
import { PasskeyChallenges } from './passkey-challenges';
import { createPasskeyLoginController } from './passkey-login.controller';
import { LOGIN_PASSKEY_PATH, PASSKEY_PATHS, PASSKEYS_PATH } from './passkey-paths';
import { createPasskeyLoginLimits } from './passkey-rate-limits';
import { passkeyStepUpOption } from './passkey-step-up';
import { createPasskeysController } from './passkeys.controller';
import { passkeyRoutes } from './passkeys.routes';
import { Passkeys } from './passkeys.service';
import { relyingPartyOf } from './relying-party';

/** What the passkeys' pages and ceremonies use of the shared sign-in pieces (built in app.ts). */
export interface PasskeyRouteDeps {
  stepUp: StepUp;
  notices: SecurityNotices;
  flow: LoginFlow;
  securityLog: SecurityLog;
  limits: AuthRateLimits;
  csrf: FormChecks;
  /** Where the login's limits count (the shared counters), and where their warnings go. */
  counters: RateLimitContext['counters'];
  logger: RateLimitContext['logger'];
}

export interface PasskeysArea {
  passkeys: Passkeys;
  /** "Confirm it's you" with a passkey, for `StepUp`'s options. */
  stepUpOption: StepUpOption;
  /** Mounts /account/passkeys and /login/passkey. */
  routes(app: Parent, deps: PasskeyRouteDeps): void;
}

/**
 * Passkeys, put together for app.ts: the service for PUBLIC_URL's host, the challenges in signed
 * cookies (each sent to its ceremony's endpoint only), the step-up option, then the routes once
 * the shared pieces (StepUp, LoginFlow, the CSRF checks) exist.
 */
export function createPasskeysArea(config: Config, { users, now }: { users: UserModel; now: Clock }): PasskeysArea {
  const passkeys = new Passkeys({ users, relyingParty: relyingPartyOf(config.publicUrl), now });
  const challenges = new PasskeyChallenges({
    secrets: config.sessionSecrets,
    now,
    paths: { login: LOGIN_PASSKEY_PATH, add: PASSKEYS_PATH, confirm: PASSKEY_PATHS.confirm },
  });
  return {
    passkeys,
    stepUpOption: passkeyStepUpOption(passkeys),
    routes(app, { stepUp, notices, flow, securityLog, limits, csrf, counters, logger }) {
      passkeyRoutes(app, {
        passkeys: createPasskeysController({ passkeys, challenges, stepUp, notices }),
        login: createPasskeyLoginController({ passkeys, challenges, flow, stepUp, securityLog }),
        limits,
        loginLimits: createPasskeyLoginLimits(config, { counters, logger }),
        csrf,
      });
    },
  };
}
