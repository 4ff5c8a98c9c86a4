import { areaRouter, type Parent } from '../../http/area-router';
import type { FormChecks } from '../../sessions/middleware/csrf';
import { requireLogin } from '../middleware/require-login';
import type { AuthRateLimits } from '../middleware/rate-limits';
import type { OpenIdAccountController } from './openid-account.controller';
import type { OpenIdLoginController } from './openid-login.controller';
import { linkRules, linkedIdentityRules, stepUpRules } from './openid.forms';
import type { OpenIdRateLimits } from './openid-rate-limits';

/** `GET` starts a sign-in with the provider; `/callback` (OIDC_CALLBACK_PATH) finishes it; `/link` links an existing account. */
export const OPENID_LOGIN_PATH = '/login/oidc';
export const OPENID_LINK_PATH = `${OPENID_LOGIN_PATH}/link`;
/** The shopper's links to the provider: list, link, unlink, and "Confirm it's you" through it. */
export const OPENID_ACCOUNT_PATH = '/account/oidc';

export interface OpenIdRoutesDeps {
  login: OpenIdLoginController;
  account: OpenIdAccountController;
  /** Parses the sign-in's sealed cookies (SignInCookies.read). */
  readCookies: OpenIdLoginController['readCookies'];
  limits: AuthRateLimits;
  openIdLimits: OpenIdRateLimits;
  csrf: FormChecks;
}

/**
 * Sign-in with an OpenID provider, mounted only when OIDC_* are set: a visitor's pages at
 * /login/oidc (the linking form a visitor's form, rate limited like the login), and the shopper's
 * at /account/oidc (their forms sensitive: a fresh login or the current password).
 */
export function openIdRoutes(app: Parent, deps: OpenIdRoutesDeps): void {
  const { login, account, readCookies, limits, openIdLimits, csrf } = deps;
  const visitor = areaRouter(app, OPENID_LOGIN_PATH);
  const { visitorForm, visitorToken } = csrf;
  visitor.get('/', login.getStart);
  visitor.get('/callback', readCookies, login.getCallback);
  visitor.get('/link', readCookies, visitorToken, login.getLink);
  visitor.post(
    '/link',
    visitorForm,
    readCookies,
    login.pendingLinkLocals,
    ...openIdLimits.link,
    visitorToken,
    ...linkRules,
    login.postLink,
  );

  const shopper = areaRouter(app, OPENID_ACCOUNT_PATH, { guard: requireLogin });
  const form = csrf.shopperForm;
  shopper.get('/', account.getProviders);
  shopper.post('/link', form, ...limits.currentPassword, ...stepUpRules, account.postLink);
  shopper.post('/unlink', form, ...limits.currentPassword, ...stepUpRules, ...linkedIdentityRules, account.postUnlink);
  shopper.post('/confirm', form, account.postConfirm);
}
