import type { Logger } from '../../platform/logger';
import type { NextFunction, Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { fieldErrors, hasErrors, type FieldErrors } from '../../http/form-errors';
import { typedText } from '../../http/form-field';
import { localPath } from '../../http/local-path';
import type { SecurityLog } from '../../sessions/security-log';
import type { Accounts } from '../accounts.service';
import type { LoginFlow } from '../login/login-flow';
import type { SecurityNotices } from '../security-notices';
import type { LinkedIdentities } from './linked-identities';
import type { OpenIdCallbacks } from './openid-callbacks';
import type { OpenIdConnect } from './openid-connect';
import { isRefusal, renderProviderUnavailable, renderSignInRefused, startAtProvider } from './openid-pages';
import { OPENID_LINK_PATH } from './openid.routes';
import type { PendingLink, SignInCookies } from './sign-in-cookies';

export interface OpenIdLoginControllerOptions {
  /** Where a provider that cannot be reached is reported. */
  logger: Logger;
  oidc: OpenIdConnect;
  cookies: SignInCookies;
  identities: LinkedIdentities;
  accounts: Pick<Accounts, 'authenticate'>;
  flow: LoginFlow;
  notices: SecurityNotices;
  securityLog: SecurityLog;
  /** What the callback does for each intent (log in, link, confirm). */
  callbacks: OpenIdCallbacks;
}

const LINK_EXPIRED = 'That sign-in has expired (10 minutes) or was already used. Start again from the login page.';
const WRONG_PASSWORD = 'That is not the password of this account.';

/**
 * A visitor's side of the sign-in: the start (to the provider), the callback (back from it), and
 * the linking page, where an address that already has an account is linked by that account's
 * password once (never taken over on the provider's word).
 */
export function createOpenIdLoginController(options: OpenIdLoginControllerOptions) {
  const { oidc, cookies, identities, accounts, flow, notices, securityLog, callbacks, logger } = options;

  function renderLink(res: Response, pending: PendingLink, errors: FieldErrors, message?: string): void {
    res.render('accounts/openid/link', {
      pageTitle: `Link ${oidc.label} to your account`,
      path: OPENID_LINK_PATH,
      label: oidc.label,
      email: pending.email,
      errors,
      message,
    });
  }

  /** GET /login/oidc[?returnTo=]: to the provider, the checks sealed in this browser's cookie. */
  async function getStart(req: Request, res: Response): Promise<void> {
    const started = await startAtProvider(req, res, { oidc, logger });
    if (!started) return;
    cookies.startFlow(req, res, started.checks, { kind: 'login', returnTo: localPath(req.query.returnTo) });
    res.redirect(started.url.href);
  }

  /**
   * GET /login/oidc/callback: the flow's cookie is taken (cleared) first, so a callback is good
   * once; no cookie, a wrong `state`, a code used before, a refusal at the provider: a 4xx page and
   * nobody logged in. The provider unreachable: 503.
   */
  async function getCallback(req: Request, res: Response): Promise<void> {
    const started = cookies.takeFlow(req, res);
    if (!started) {
      securityLog.event(req, 'provider-sign-in-refused', { reason: 'no sign-in started in this browser' });
      renderSignInRefused(res, 400, LINK_EXPIRED);
      return;
    }
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    let identity: Awaited<ReturnType<OpenIdConnect['finish']>>;
    try {
      identity = await oidc.finish(query, started.checks);
    } catch (error) {
      if (isRefusal(error)) {
        securityLog.event(req, 'provider-sign-in-refused', { reason: error.message.slice(0, 200) });
        renderSignInRefused(
          res,
          400,
          `Signing in with ${oidc.label} did not succeed. Start again from the login page.`,
        );
      } else {
        renderProviderUnavailable(req, res, { label: oidc.label, logger, error });
      }
      return;
    }
    await callbacks.handle(req, res, started.intent, identity);
  }

  /** For the linking form's limits: the account it is for, from the sealed cookie (never the form). */
  function pendingLinkLocals(req: Request, res: Response, next: NextFunction): void {
    const pending = cookies.pendingLink(req);
    if (pending) res.locals.openIdPendingEmail = pending.email;
    next();
  }

  function getLink(req: Request, res: Response): void {
    const pending = cookies.pendingLink(req);
    if (!pending) {
      renderSignInRefused(res, 400, LINK_EXPIRED);
      return;
    }
    renderLink(res, pending, {});
  }

  /** The account's password: right, the person is linked (and mailed about), then the login goes on. */
  async function postLink(req: Request, res: Response): Promise<void> {
    const pending = cookies.pendingLink(req);
    if (!pending) {
      renderSignInRefused(res, 400, LINK_EXPIRED);
      return;
    }
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderLink(res.status(422), pending, errors);
      return;
    }
    const password = typedText(matchedData(req, { onlyValidData: false }).password);
    const user = await accounts.authenticate(pending.email, password);
    if (!user) {
      securityLog.event(req, 'login-failed', { method: 'openid' });
      renderLink(res.status(422), pending, {}, WRONG_PASSWORD);
      return;
    }
    cookies.clearPendingLink(req, res);
    const linked = await identities.link(user, { ...pending, emailVerified: true });
    if (linked === 'taken') {
      renderSignInRefused(res, 409, `That ${oidc.label} account is linked to another account of this shop already.`);
      return;
    }
    if (linked === 'linked') notices.notify(req, user, 'provider-linked', { name: oidc.label });
    // A first factor, as a password: an account with a second factor is asked for its code next.
    await flow.firstFactorAccepted(req, res, { user, method: 'openid', returnTo: pending.returnTo });
  }

  return { getStart, getCallback, getLink, postLink, pendingLinkLocals, readCookies: cookies.read };
}

export type OpenIdLoginController = ReturnType<typeof createOpenIdLoginController>;
