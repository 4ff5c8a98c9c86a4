import { areaRouter, type Parent } from '../../http/area-router';
import type { FormChecks } from '../../sessions/middleware/csrf';
import { requireLogin } from '../middleware/require-login';
import type { AuthRateLimits } from '../middleware/rate-limits';
import { jsonErrors } from './middleware/json-errors';
import type { PasskeyLoginController } from './passkey-login.controller';
import type { PasskeyLoginLimits } from './passkey-rate-limits';
import type { PasskeysController } from './passkeys.controller';
import { LOGIN_PASSKEY_PATH, PASSKEYS_PATH } from './passkey-paths';
import { removePasskeyRules } from './passkeys.forms';

export interface PasskeyRoutesDeps {
  passkeys: PasskeysController;
  login: PasskeyLoginController;
  limits: AuthRateLimits;
  loginLimits: PasskeyLoginLimits;
  csrf: FormChecks;
}

/**
 * Passkeys: the shopper's page and its ceremonies at /account/passkeys (logged in; the session's
 * CSRF token, in the `x-csrf-token` header for the JSON ones), and the login's at /login/passkey
 * (a visitor's: the double-submit token, as the login form's, and the login form's limits). Each
 * ceremony's refusals, its CSRF check's included, are answered as JSON (`{ error }`).
 */
export function passkeyRoutes(app: Parent, { passkeys, login, limits, loginLimits, csrf }: PasskeyRoutesDeps): void {
  const account = areaRouter(app, PASSKEYS_PATH, { guard: requireLogin });
  const form = csrf.shopperForm;
  account.get('/', passkeys.getPasskeys);
  account.post('/options', form, ...limits.currentPassword, passkeys.postAddOptions);
  account.post('/', form, passkeys.postAdd);
  account.post('/remove', form, ...limits.currentPassword, ...removePasskeyRules, passkeys.postRemove);
  account.post('/confirm/options', form, login.postConfirmOptions);
  account.post('/confirm', form, login.postConfirm);
  app.use(PASSKEYS_PATH, jsonErrors);

  const visitor = areaRouter(app, LOGIN_PASSKEY_PATH);
  visitor.post('/options', csrf.visitorForm, ...loginLimits.options, login.postLoginOptions);
  visitor.post('/', csrf.visitorForm, ...loginLimits.login, login.postLogin);
  app.use(LOGIN_PASSKEY_PATH, jsonErrors);
}
