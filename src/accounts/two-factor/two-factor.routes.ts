import { areaRouter, type Parent } from '../../http/area-router';
import type { FormChecks } from '../../sessions/middleware/csrf';
import { disableTwoFactorRules, enableTwoFactorRules, recoveryCodesRules } from '../account.forms';
import { requireLogin } from '../middleware/require-login';
import type { AuthRateLimits } from '../middleware/rate-limits';
import type { TwoFactorController } from './two-factor.controller';

export const TWO_FACTOR_PATH = '/account/two-factor';

export interface TwoFactorRoutesDeps {
  twoFactor: TwoFactorController;
  limits: AuthRateLimits;
  csrf: FormChecks;
}

/**
 * The second factor's pages, at /account/two-factor: a logged-in shopper's. Each form may carry
 * the current password and a code: their failures count like the password's on the other account
 * forms (per shopper).
 */
export function twoFactorRoutes(app: Parent, { twoFactor, limits, csrf }: TwoFactorRoutesDeps): void {
  const routes = areaRouter(app, TWO_FACTOR_PATH, { guard: requireLogin });
  const form = csrf.shopperForm;
  routes.get('/', twoFactor.getTwoFactor);
  routes.post('/', form, ...limits.currentPassword, ...enableTwoFactorRules, twoFactor.postEnable);
  routes.post('/disable', form, ...limits.currentPassword, ...disableTwoFactorRules, twoFactor.postDisable);
  routes.post('/recovery-codes', form, ...limits.currentPassword, ...recoveryCodesRules, twoFactor.postRecoveryCodes);
}
