import { Router } from 'express';
import type { AccountController } from '../controllers/account';
import { requireLogin } from '../middleware/require-login';
import type { AuthRateLimits } from '../middleware/rate-limits';
import { changePasswordRules } from '../validation/auth-forms';

export function accountRoutes(account: AccountController, limits: AuthRateLimits): Router {
  const router = Router();
  router.use(requireLogin);
  router.get('/', account.getAccount);
  router.get('/password', account.getChangePassword);
  router.post('/password', ...limits.passwordChange, changePasswordRules, account.postChangePassword);
  router.post('/logout-everywhere', account.postLogoutEverywhere);
  return router;
}
