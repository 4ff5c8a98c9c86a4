import type { Request, Response } from 'express';
import { flash } from '../../http/flash';
import { localPath } from '../../http/local-path';
import type { SecurityLog } from '../../sessions/security-log';
import { saveSession } from '../../sessions/session-promises';
import type { LoginFlow } from '../login/login-flow';
import type { SecurityNotices } from '../security-notices';
import type { StepUp } from '../step-up/step-up';
import type { LinkedIdentities } from './linked-identities';
import type { ProviderIdentity } from './openid-connect';
import { renderSignInRefused } from './openid-pages';
import { OPENID_ACCOUNT_PATH, OPENID_LINK_PATH } from './openid.routes';
import type { SignInCookies, SignInIntent } from './sign-in-cookies';

export interface OpenIdCallbacksOptions {
  label: string;
  cookies: SignInCookies;
  identities: LinkedIdentities;
  flow: LoginFlow;
  stepUp: StepUp;
  notices: SecurityNotices;
  securityLog: SecurityLog;
}

/**
 * What a verified callback leads to, by what the sign-in was started for:
 *  - a login: the linked account logs in (a first factor: a second factor is still asked); an
 *    unknown person with an address the provider vouches for and no account gets a new account
 *    without a password; an address that has an account goes to the linking page (its password);
 *    anything else is refused;
 *  - a link from the account page: the person is linked to the shopper who started it;
 *  - "Confirm it's you": the person must be the one linked to the shopper; the session is fresh again.
 */
export function createOpenIdCallbacks(options: OpenIdCallbacksOptions) {
  const { label, cookies, identities, flow, stepUp, notices, securityLog } = options;

  async function login(
    req: Request,
    res: Response,
    intent: Extract<SignInIntent, { kind: 'login' }>,
    identity: ProviderIdentity,
  ): Promise<void> {
    const outcome = await identities.signIn(identity);
    switch (outcome.kind) {
      case 'linked':
        await flow.firstFactorAccepted(req, res, { user: outcome.user, method: 'openid', returnTo: intent.returnTo });
        return;
      case 'created':
        securityLog.event(req, 'provider-account-created', { userId: outcome.user._id.toHexString() });
        flash(req, res, 'success', `Welcome! Your account is ready: you log in with ${label}.`);
        await flow.firstFactorAccepted(req, res, { user: outcome.user, method: 'openid', returnTo: intent.returnTo });
        return;
      case 'needs-link':
        cookies.setPendingLink(req, res, {
          issuer: identity.issuer,
          subject: identity.subject,
          email: outcome.email,
          returnTo: intent.returnTo,
        });
        res.redirect(OPENID_LINK_PATH);
        return;
      case 'unvouched':
        securityLog.event(req, 'provider-sign-in-refused', { reason: 'no verified email' });
        renderSignInRefused(
          res,
          403,
          `${label} did not vouch for an email address (none given, or not verified there), so it cannot open an ` +
            `account here. Verify your address at ${label}, or sign up with a password.`,
        );
    }
  }

  async function link(req: Request, res: Response, userId: string, identity: ProviderIdentity): Promise<void> {
    const user = req.user;
    if (!user || user._id.toHexString() !== userId) {
      securityLog.event(req, 'provider-sign-in-refused', { reason: 'link for another session' });
      renderSignInRefused(res, 403, 'That link was started by another login. Start again from your account page.');
      return;
    }
    const result = await identities.link(user, identity);
    if (result === 'taken') {
      flash(req, res, 'error', `That ${label} account is linked to another account of this shop already.`);
    } else if (result === 'already-yours') {
      flash(req, res, 'info', `That ${label} account is linked to yours already.`);
    } else {
      notices.notify(req, user, 'provider-linked', { name: label });
      flash(req, res, 'success', `${label} is linked: you can log in with it now.`);
    }
    res.redirect(OPENID_ACCOUNT_PATH);
  }

  async function confirm(
    req: Request,
    res: Response,
    intent: Extract<SignInIntent, { kind: 'confirm' }>,
    identity: ProviderIdentity,
  ): Promise<void> {
    const user = req.user;
    if (!user || user._id.toHexString() !== intent.userId || !(await identities.isLinkedTo(user, identity))) {
      securityLog.event(req, 'provider-sign-in-refused', { reason: 'confirmed by another person' });
      renderSignInRefused(res, 403, `That ${label} account is not the one linked to yours: nothing was confirmed.`);
      return;
    }
    stepUp.confirmed(req, user, 'openid');
    await saveSession(req);
    res.redirect(localPath(intent.returnTo) ?? OPENID_ACCOUNT_PATH);
  }

  async function handle(req: Request, res: Response, intent: SignInIntent, identity: ProviderIdentity): Promise<void> {
    if (intent.kind === 'login') await login(req, res, intent, identity);
    else if (intent.kind === 'link') await link(req, res, intent.userId, identity);
    else await confirm(req, res, intent, identity);
  }

  return { handle };
}

export type OpenIdCallbacks = ReturnType<typeof createOpenIdCallbacks>;
