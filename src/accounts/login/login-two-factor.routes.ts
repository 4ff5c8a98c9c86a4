import { areaRouter, type Parent } from '../../http/area-router';
import type { FormChecks } from '../../sessions/middleware/csrf';
import { codeRules } from '../account.forms';
import type { AuthRateLimits } from '../middleware/rate-limits';
import type { LoginTwoFactorController } from './login-two-factor.controller';

/** Where a login waiting for its second factor asks for the code. */
export const LOGIN_TWO_FACTOR_PATH = '/login/two-factor';

export interface LoginTwoFactorRoutesDeps {
  loginTwoFactor: LoginTwoFactorController;
  limits: AuthRateLimits;
  csrf: FormChecks;
}

/**
 * The second step of a login, at /login/two-factor: a visitor's form (the visitor is not logged in
 * until the code is right), with the login's limits on guessing: every attempt per address,
 * wrong codes per account.
 */
export function loginTwoFactorRoutes(app: Parent, { loginTwoFactor, limits, csrf }: LoginTwoFactorRoutesDeps): void {
  const routes = areaRouter(app, LOGIN_TWO_FACTOR_PATH);
  const { visitorForm, visitorToken } = csrf;
  routes.get('/', visitorToken, loginTwoFactor.getCode);
  routes.post('/', visitorForm, ...limits.secondFactor, visitorToken, ...codeRules, loginTwoFactor.postCode);
}
