import type { AccountController } from './account.controller';
import { requireLogin } from './middleware/require-login';
import type { AuthRateLimits } from './middleware/rate-limits';
import { changeEmailRules, changePasswordRules, deleteAccountRules, revokeSessionRules } from './account.forms';
import { areaRouter, type Parent } from '../http/area-router';
import type { FormChecks } from '../sessions/middleware/csrf';

export const ACCOUNT_PATH = '/account';
export const ACCOUNT_SESSIONS_PATH = `${ACCOUNT_PATH}/sessions`;

export interface AccountRoutesDeps {
  account: AccountController;
  limits: AuthRateLimits;
  csrf: FormChecks;
}

/** A logged-in shopper's own account, at /account: every page and form for logged-in shoppers only. */
export function accountRoutes(app: Parent, { account, limits, csrf }: AccountRoutesDeps): void {
  const routes = areaRouter(app, ACCOUNT_PATH, { guard: requireLogin });
  const form = csrf.shopperForm;
  routes.get('/', account.getAccount);
  routes.post('/verify-email', form, ...limits.resendVerification, account.postResendVerification);
  routes.get('/password', account.getChangePassword);
  routes.post('/password', form, ...limits.currentPassword, ...changePasswordRules, account.postChangePassword);
  routes.get('/email', account.getChangeEmail);
  routes.post('/email', form, ...limits.currentPassword, ...changeEmailRules, account.postChangeEmail);
  routes.get('/sessions', account.getSessions);
  routes.post('/sessions/revoke', form, ...revokeSessionRules, account.postRevokeSession);
  routes.post('/logout-everywhere', form, account.postLogoutEverywhere);
  routes.get('/delete', account.getDelete);
  routes.post('/delete', form, ...limits.currentPassword, ...deleteAccountRules, account.postDelete);
}
