import type { Logger } from '../../platform/logger';
import type { Request, Response } from 'express';
import { Types } from 'mongoose';
import { flash } from '../../http/flash';
import { fieldErrors, hasErrors, type FieldErrors } from '../../http/form-errors';
import { formField } from '../../http/form-field';
import { localPath } from '../../http/local-path';
import type { SecurityLog } from '../../sessions/security-log';
import { saveSession } from '../../sessions/session-promises';
import { loggedInUser } from '../current-user';
import { ACCOUNT_PATH } from '../account.routes';
import type { StepUp } from '../step-up/step-up';
import { hasPassword } from '../step-up/step-up';
import { stepUpErrors, stepUpFormLocals } from '../step-up/step-up-form';
import type { UserDocument } from '../user.schema';
import type { LinkedIdentities } from './linked-identities';
import type { OpenIdConnect } from './openid-connect';
import { startAtProvider } from './openid-pages';
import { OPENID_ACCOUNT_PATH } from './openid.routes';
import type { SignInCookies, SignInIntent } from './sign-in-cookies';

export interface OpenIdAccountControllerOptions {
  /** Where a provider that cannot be reached is reported. */
  logger: Logger;
  oidc: OpenIdConnect;
  cookies: SignInCookies;
  identities: LinkedIdentities;
  stepUp: StepUp;
  securityLog: SecurityLog;
}

const LAST_WAY_IN =
  'This is the only way into your account: set a password first (log out, then "Forgot your password?"), then unlink it.';

/** A logged-in shopper's links to the provider (/account/oidc): the list, link, unlink, and confirming through it. */
export function createOpenIdAccountController(options: OpenIdAccountControllerOptions) {
  const { oidc, cookies, identities, stepUp, securityLog, logger } = options;

  async function render(req: Request, res: Response, user: UserDocument, errors: FieldErrors): Promise<void> {
    res.render('accounts/openid/providers', {
      pageTitle: 'Sign-in providers',
      path: ACCOUNT_PATH,
      label: oidc.label,
      links: await identities.listFor(user._id),
      hasPassword: hasPassword(user),
      errors,
      stepUpForm: stepUpFormLocals(stepUp, req, user, OPENID_ACCOUNT_PATH),
    });
  }

  /** To the provider, with the intent sealed in the sign-in cookie; the provider unreachable: 503. */
  async function toProvider(req: Request, res: Response, intent: SignInIntent): Promise<void> {
    const started = await startAtProvider(req, res, { oidc, logger });
    if (!started) return;
    cookies.startFlow(req, res, started.checks, intent);
    // The step-up's freshness, if a password was just given, is kept for the way back.
    await saveSession(req);
    res.redirect(started.url.href);
  }

  async function getProviders(req: Request, res: Response): Promise<void> {
    await render(req, res, loggedInUser(req), {});
  }

  /** Linking adds a way into the account: a fresh login (or the current password) first. */
  /**
   * A form of this page, checked (its fields, then a fresh login or the current password): the
   * shopper and the proof, or undefined once the page is sent again with what is wrong (422).
   */
  async function checkedForm(req: Request, res: Response) {
    const user = loggedInUser(req);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      await render(req, res.status(422), user, errors);
      return undefined;
    }
    const check = await stepUp.check(req, user, formField(req, 'currentPassword'));
    if (!check.ok) {
      await render(req, res.status(422), user, stepUpErrors(stepUp, check.reason));
      return undefined;
    }
    return { user, proof: check.proof };
  }

  async function postLink(req: Request, res: Response): Promise<void> {
    const checked = await checkedForm(req, res);
    if (checked) await toProvider(req, res, { kind: 'link', userId: checked.proof.userId });
  }

  /** Unlinking: a fresh login (or the current password), and never the last way in. */
  async function postUnlink(req: Request, res: Response): Promise<void> {
    const checked = await checkedForm(req, res);
    if (!checked) return;
    const { user, proof } = checked;
    const id = new Types.ObjectId(String(formField(req, 'identity')));
    const result = await identities.unlink(user, proof, id);
    if (result === 'not-found') {
      await render(req, res.status(422), user, { identity: 'No such sign-in provider on your account.' });
      return;
    }
    if (result === 'last-way-in') {
      await render(req, res.status(422), user, { identity: LAST_WAY_IN });
      return;
    }
    securityLog.event(req, 'provider-unlinked', { userId: user._id.toHexString() });
    flash(req, res, 'success', `${oidc.label} is unlinked: it no longer logs in to your account.`);
    await saveSession(req);
    res.redirect(OPENID_ACCOUNT_PATH);
  }

  /** "Confirm with <label>" on the confirm page: through the provider, back to `returnTo`. */
  async function postConfirm(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const returnTo = localPath(formField(req, 'returnTo')) ?? ACCOUNT_PATH;
    await toProvider(req, res, { kind: 'confirm', userId: user._id.toHexString(), returnTo });
  }

  return { getProviders, postLink, postUnlink, postConfirm };
}

export type OpenIdAccountController = ReturnType<typeof createOpenIdAccountController>;
