import type { AuthController } from './auth.controller';
import type { AuthRateLimits } from './middleware/rate-limits';
import { loginRules, newPasswordRules, resetRules, signupRules } from './account.forms';
import { areaRouter, type Parent } from '../http/area-router';
import type { FormChecks } from '../sessions/middleware/csrf';

export const LOGIN_PATH = '/login';
export const SIGNUP_PATH = '/signup';
export const RESET_PATH = '/reset';

export interface AuthRoutesDeps {
  auth: AuthController;
  limits: AuthRateLimits;
  csrf: FormChecks;
}

/**
 * A visitor's pages, at the site's root: their forms carry a visitor's CSRF token (a cookie, no
 * session); logout is a logged-in shopper's form. The rate limits come right after the token's
 * check: a refused attempt costs neither validation nor bcrypt.
 */
export function authRoutes(app: Parent, { auth, limits, csrf }: AuthRoutesDeps): void {
  const routes = areaRouter(app, '/');
  const { visitorForm, visitorToken } = csrf;
  routes.get(LOGIN_PATH, visitorToken, auth.getLogin);
  routes.post(LOGIN_PATH, visitorForm, ...limits.login, visitorToken, ...loginRules, auth.postLogin);
  routes.get(SIGNUP_PATH, visitorToken, auth.getSignup);
  routes.post(SIGNUP_PATH, visitorForm, ...limits.signup, visitorToken, ...signupRules, auth.postSignup);
  routes.post('/logout', csrf.shopperForm, auth.postLogout);
  routes.get(RESET_PATH, visitorToken, auth.getReset);
  routes.post(RESET_PATH, visitorForm, ...limits.reset, visitorToken, ...resetRules, auth.postReset);
  routes.get(`${RESET_PATH}/:token`, visitorToken, auth.getResetToken);
  routes.post(
    '/new-password',
    visitorForm,
    ...limits.newPassword,
    visitorToken,
    ...newPasswordRules,
    auth.postNewPassword,
  );
  routes.get('/verify-email/:token', auth.getVerifyEmail);
}
