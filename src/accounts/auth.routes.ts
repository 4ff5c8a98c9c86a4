import { Router } from 'express';
import { provideCsrfToken } from '../sessions/middleware/csrf';
import type { AuthController } from './auth.controller';
import type { AuthRateLimits } from './middleware/rate-limits';
import { loginRules, signupRules } from './account.forms';

// The login and signup pages carry a form, hence a CSRF token (and a session) even for visitors.
// The rate limits come first on the POSTs: a refused attempt costs neither validation nor bcrypt.
export function authRoutes(auth: AuthController, limits: AuthRateLimits): Router {
  const router = Router();
  router.get('/login', provideCsrfToken, auth.getLogin);
  router.post('/login', ...limits.login, provideCsrfToken, loginRules, auth.postLogin);
  router.get('/signup', provideCsrfToken, auth.getSignup);
  router.post('/signup', ...limits.signup, provideCsrfToken, signupRules, auth.postSignup);
  router.post('/logout', auth.postLogout);
  return router;
}
