import { Router } from 'express';
import type { AccountController } from './account.controller';
import { requireLogin } from './middleware/require-login';
import type { AuthRateLimits } from './middleware/rate-limits';
import { changeEmailRules, changePasswordRules, deleteAccountRules, revokeSessionRules } from './account.forms';

/** Mounted at /account: a logged-in shopper's own account. */
export function accountRoutes(account: AccountController, limits: AuthRateLimits): Router {
  const router = Router();
  router.use(requireLogin);
  router.get('/', account.getAccount);
  router.post('/verify-email', ...limits.resendVerification, account.postResendVerification);
  router.get('/password', account.getChangePassword);
  router.post('/password', ...limits.currentPassword, changePasswordRules, account.postChangePassword);
  router.get('/email', account.getChangeEmail);
  router.post('/email', ...limits.currentPassword, changeEmailRules, account.postChangeEmail);
  router.get('/sessions', account.getSessions);
  router.post('/sessions/revoke', revokeSessionRules, account.postRevokeSession);
  router.post('/logout-everywhere', account.postLogoutEverywhere);
  router.get('/delete', account.getDelete);
  router.post('/delete', ...limits.currentPassword, deleteAccountRules, account.postDelete);
  return router;
}
