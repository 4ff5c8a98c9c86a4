import { Router } from 'express';
import type { AccountController } from '../controllers/account';
import { requireLogin } from '../middleware/require-login';
import { changePasswordRules } from '../validation/auth-forms';

export function accountRoutes(account: AccountController): Router {
  const router = Router();
  router.use(requireLogin);
  router.get('/', account.getAccount);
  router.get('/password', account.getChangePassword);
  router.post('/password', changePasswordRules, account.postChangePassword);
  router.post('/logout-everywhere', account.postLogoutEverywhere);
  return router;
}
