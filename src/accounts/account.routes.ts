import { Router } from 'express';
import type { AccountController } from './account.controller';
import { requireLogin } from './middleware/require-login';
import type { AuthRateLimits } from './middleware/rate-limits';
import { changePasswordRules } from './account.forms';

/** Mounted at /account: a logged-in shopper's own account. */
export function accountRoutes(account: AccountController, limits: AuthRateLimits): Router {
  const router = Router();
  router.use(requireLogin);
  router.get('/', account.getAccount);
  router.get('/password', account.getChangePassword);
  router.post('/password', ...limits.passwordChange, changePasswordRules, account.postChangePassword);
  router.post('/logout-everywhere', account.postLogoutEverywhere);
  return router;
}
