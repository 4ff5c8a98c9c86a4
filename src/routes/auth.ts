import { Router } from 'express';
import type { AuthController } from '../controllers/auth';
import { provideCsrfToken } from '../middleware/csrf';
import { loginRules, signupRules } from '../validation/auth-forms';

// The login and signup pages carry a form, hence a CSRF token (and a session) even for visitors.
export function authRoutes(auth: AuthController): Router {
  const router = Router();
  router.get('/login', provideCsrfToken, auth.getLogin);
  router.post('/login', provideCsrfToken, loginRules, auth.postLogin);
  router.get('/signup', provideCsrfToken, auth.getSignup);
  router.post('/signup', provideCsrfToken, signupRules, auth.postSignup);
  router.post('/logout', auth.postLogout);
  return router;
}
