import { Router, type RequestHandler } from 'express';
import type { AuthController } from './auth.controller';
import type { AuthRateLimits } from './middleware/rate-limits';
import { loginRules, newPasswordRules, resetRules, signupRules } from './account.forms';

/** The visitor's forms: their POSTs are checked by their double-submit token (sessions/csrf.ts). */
export const VISITOR_FORMS = ['/login', '/signup', '/reset', '/new-password'] as const;

// The visitor's pages carry a visitor's CSRF token (a cookie, no session). The rate limits come
// first on the POSTs: a refused attempt costs neither validation nor bcrypt.
export function authRoutes(auth: AuthController, limits: AuthRateLimits, visitorToken: RequestHandler): Router {
  const router = Router();
  router.get('/login', visitorToken, auth.getLogin);
  router.post('/login', ...limits.login, visitorToken, loginRules, auth.postLogin);
  router.get('/signup', visitorToken, auth.getSignup);
  router.post('/signup', ...limits.signup, visitorToken, signupRules, auth.postSignup);
  router.post('/logout', auth.postLogout);
  router.get('/reset', visitorToken, auth.getReset);
  router.post('/reset', ...limits.reset, visitorToken, resetRules, auth.postReset);
  router.get('/reset/:token', visitorToken, auth.getResetToken);
  router.post('/new-password', ...limits.newPassword, visitorToken, newPasswordRules, auth.postNewPassword);
  router.get('/verify-email/:token', auth.getVerifyEmail);
  return router;
}
