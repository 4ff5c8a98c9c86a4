import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { flash } from '../../http/flash';
import { fieldErrors, hasErrors, type FieldErrors } from '../../http/form-errors';
import { formField, typedText } from '../../http/form-field';
import type { SecurityLog } from '../../sessions/security-log';
import { loggedInUser } from '../current-user';
import { ACCOUNT_PATH } from '../account.routes';
import type { SecurityNotices } from '../security-notices';
import type { StepUp } from '../step-up/step-up';
import { stepUpErrors, stepUpFormLocals } from '../step-up/step-up-form';
import type { TwoFactor } from './two-factor.service';
import { TWO_FACTOR_PATH } from './two-factor.routes';

export interface TwoFactorControllerOptions {
  twoFactor: TwoFactor;
  stepUp: StepUp;
  notices: SecurityNotices;
  securityLog: SecurityLog;
}

const WRONG_CODE = 'That code is not right: enter the one the app shows now (is the phone’s clock right?).';

/** The account's second factor: turning it on (the secret shown once the login is fresh), its recovery codes, turning it off. */
export function createTwoFactorController({ twoFactor, stepUp, notices, securityLog }: TwoFactorControllerOptions) {
  /**
   * Off: the secret to add to an app, shown only to a fresh login (a stolen session that is not
   * cannot read it, to wait for its owner to turn it on); then the code (and, past the window, the password).
   */
  async function renderSetup(req: Request, res: Response, errors: FieldErrors): Promise<void> {
    const user = loggedInUser(req);
    const setup = stepUp.isFresh(req) ? await twoFactor.setup(user) : undefined;
    res.render('accounts/two-factor/setup', {
      pageTitle: 'Turn on two-factor authentication',
      path: ACCOUNT_PATH,
      setup: setup && { ...setup, groupedSecret: setup.secret.replace(/(.{4})(?=.)/g, '$1 ') },
      stepUpForm: stepUpFormLocals(stepUp, req, user, TWO_FACTOR_PATH),
      errors,
    });
  }

  function renderManage(
    req: Request,
    res: Response,
    errors: { codes?: FieldErrors; disable?: FieldErrors } = {},
  ): void {
    const user = loggedInUser(req);
    res.render('accounts/two-factor/manage', {
      pageTitle: 'Two-factor authentication',
      path: ACCOUNT_PATH,
      recoveryCodesLeft: twoFactor.recoveryCodesLeft(user),
      stepUpForm: stepUpFormLocals(stepUp, req, user, TWO_FACTOR_PATH),
      codesErrors: errors.codes ?? {},
      disableErrors: errors.disable ?? {},
    });
  }

  function renderCodes(res: Response, codes: string[], title: string, intro: string): void {
    res.render('accounts/two-factor/recovery-codes', { pageTitle: title, path: ACCOUNT_PATH, codes, intro });
  }

  async function getTwoFactor(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    if (twoFactor.isOn(user)) {
      renderManage(req, res);
      return;
    }
    if (!stepUp.isFresh(req)) {
      res.redirect(stepUp.confirmHref(TWO_FACTOR_PATH));
      return;
    }
    await renderSetup(req, res, {});
  }

  /** Turns it on: the password past the window, and a code of the secret shown. The recovery codes follow, once. */
  async function postEnable(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    if (twoFactor.isOn(user)) {
      res.redirect(TWO_FACTOR_PATH);
      return;
    }
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      await renderSetup(req, res.status(422), errors);
      return;
    }
    const check = await stepUp.check(req, user, formField(req, 'currentPassword'));
    if (!check.ok) {
      await renderSetup(req, res.status(422), stepUpErrors(stepUp, check.reason));
      return;
    }
    const outcome = await twoFactor.enable(
      user,
      check.proof,
      typedText(matchedData(req, { onlyValidData: false }).code),
    );
    if (outcome.result === 'wrong-code') {
      await renderSetup(req, res.status(422), { code: WRONG_CODE });
      return;
    }
    if (outcome.result === 'already-on') {
      res.redirect(TWO_FACTOR_PATH);
      return;
    }
    securityLog.event(req, 'two-factor-enabled', { userId: user._id.toHexString() });
    renderCodes(
      res,
      outcome.recoveryCodes,
      'Two-factor authentication is on',
      'From now on, logging in asks for a code from your app after your password.',
    );
  }

  /** Turns it off: the password past the window, and a code (from the app, or a recovery code). The owner is mailed. */
  async function postDisable(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    if (!twoFactor.isOn(user)) {
      res.redirect(ACCOUNT_PATH);
      return;
    }
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderManage(req, res.status(422), { disable: errors });
      return;
    }
    const check = await stepUp.check(req, user, formField(req, 'currentPassword'));
    if (!check.ok) {
      renderManage(req, res.status(422), { disable: stepUpErrors(stepUp, check.reason) });
      return;
    }
    const code = typedText(matchedData(req, { onlyValidData: false }).code);
    if (!(await twoFactor.disable(user, check.proof, code))) {
      renderManage(req, res.status(422), { disable: { code: WRONG_CODE } });
      return;
    }
    notices.notify(req, user, 'two-factor-disabled');
    flash(req, res, 'success', 'Two-factor authentication is off: your password alone logs in.');
    res.redirect(ACCOUNT_PATH);
  }

  /** New recovery codes in place of the old: the password past the window; shown once. */
  async function postRecoveryCodes(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderManage(req, res.status(422), { codes: errors });
      return;
    }
    const check = await stepUp.check(req, user, formField(req, 'currentPassword'));
    if (!check.ok) {
      renderManage(req, res.status(422), { codes: stepUpErrors(stepUp, check.reason) });
      return;
    }
    const codes = await twoFactor.regenerateRecoveryCodes(user, check.proof);
    if (!codes) {
      res.redirect(ACCOUNT_PATH);
      return;
    }
    securityLog.event(req, 'recovery-codes-regenerated', { userId: user._id.toHexString() });
    renderCodes(res, codes, 'New recovery codes', 'Your old recovery codes no longer work.');
  }

  return { getTwoFactor, postEnable, postDisable, postRecoveryCodes };
}

export type TwoFactorController = ReturnType<typeof createTwoFactorController>;
