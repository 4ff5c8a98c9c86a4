import type { Logger } from '../../platform/logger';
import type { Types } from 'mongoose';
import type { Parent } from '../../http/area-router';
import type { RateLimitContext } from '../../http/middleware/rate-limit';
import type { Clock } from '../../platform/clock';
import type { Config } from '../../platform/config';
import type { OidcConfig } from '../../platform/config/account-security';
import type { FormChecks } from '../../sessions/middleware/csrf';
import type { SecurityLog } from '../../sessions/security-log';
import type { Accounts } from '../accounts.service';
import type { LoginFlow } from '../login/login-flow';
import type { AuthRateLimits } from '../middleware/rate-limits';
import type { SecurityNotices } from '../security-notices';
import type { StepUp, StepUpOption } from '../step-up/step-up';
import type { UserDocument, UserModel } from '../user.schema';
import { LinkedIdentities, type LinkedIdentityView } from './linked-identities';
import { createOpenIdAccountController } from './openid-account.controller';
import { createOpenIdCallbacks } from './openid-callbacks';
import { OpenIdConnect } from './openid-connect';
import { createOpenIdLoginController } from './openid-login.controller';
import { createOpenIdRateLimits } from './openid-rate-limits';
import { openIdRoutes } from './openid.routes';
import { SignInCookies } from './sign-in-cookies';

/** What the rest of the app is given of the sign-in before its routes are mounted. */
export interface OpenIdSignInOptions {
  settings: OidcConfig;
  users: UserModel;
  /** The session secrets: the sign-in cookies' key is derived from them. */
  secrets: readonly string[];
  now: Clock;
  /** Whether an account has a way in besides its password and its links (a passkey): unlinking the last link is then allowed. */
  hasOtherWayIn?: (userId: Types.ObjectId) => Promise<boolean>;
}

export interface OpenIdMountDeps {
  config: Config;
  rateLimitContext: RateLimitContext;
  accounts: Pick<Accounts, 'authenticate'>;
  flow: LoginFlow;
  stepUp: StepUp;
  notices: SecurityNotices;
  securityLog: SecurityLog;
  limits: AuthRateLimits;
  csrf: FormChecks;
  logger: Logger;
}

/**
 * Sign-in with an OpenID provider, composed once in createApp when OIDC_* are set: the links
 * (deleted with the account), the "Confirm it's you" option, the account page's section, then
 * its routes, once the login flow and the step-up it plugs into exist.
 */
export class OpenIdSignIn {
  readonly identities: LinkedIdentities;
  private readonly oidc: OpenIdConnect;
  private readonly cookies: SignInCookies;

  constructor({ settings, users, secrets, now, hasOtherWayIn }: OpenIdSignInOptions) {
    this.oidc = new OpenIdConnect(settings);
    this.cookies = new SignInCookies({ secrets, now });
    this.identities = new LinkedIdentities({ users, now, label: settings.label, hasOtherWayIn });
  }

  /** The button's word: "Log in with <label>". */
  get label(): string {
    return this.oidc.label;
  }

  /** Accounts' `onAccountDeleted` hook: the deleted account's links go. */
  readonly onAccountDeleted = (userId: Types.ObjectId): Promise<void> => this.identities.forget(userId);

  /** "Confirm with <label>" for a shopper who has linked the provider. */
  readonly stepUpOption: StepUpOption = {
    id: 'openid',
    view: '/accounts/openid/confirm-option',
    offeredTo: (user) => this.identities.hasAny(user._id),
  };

  /** The account page's section. */
  async summary(user: UserDocument): Promise<{ label: string; links: LinkedIdentityView[] }> {
    return { label: this.label, links: await this.identities.listFor(user._id) };
  }

  mount(app: Parent, deps: OpenIdMountDeps): void {
    const { oidc, cookies, identities } = this;
    const { accounts, flow, stepUp, notices, securityLog, logger } = deps;
    const callbacks = createOpenIdCallbacks({
      label: this.label,
      cookies,
      identities,
      flow,
      stepUp,
      notices,
      securityLog,
    });
    const login = createOpenIdLoginController({
      oidc,
      cookies,
      identities,
      accounts,
      flow,
      notices,
      securityLog,
      callbacks,
      logger,
    });
    openIdRoutes(app, {
      login,
      account: createOpenIdAccountController({ oidc, cookies, identities, stepUp, securityLog, logger }),
      readCookies: cookies.read,
      limits: deps.limits,
      openIdLimits: createOpenIdRateLimits(deps.config, deps.rateLimitContext),
      csrf: deps.csrf,
    });
  }
}
