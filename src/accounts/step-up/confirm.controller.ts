import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { fieldErrors, hasErrors, type FieldErrors } from '../../http/form-errors';
import { formField, typedText } from '../../http/form-field';
import { localPath } from '../../http/local-path';
import { saveSession } from '../../sessions/session-promises';
import { loggedInUser } from '../current-user';
import { ACCOUNT_PATH } from '../account.routes';
import { hasPassword, type StepUp } from './step-up';
import { WRONG_PASSWORD } from './step-up-form';

/**
 * "Confirm it's you" (`/account/confirm?returnTo=`): a sensitive page or form sends a shopper here
 * when their login is older than `SESSION_REAUTH_MINUTES`. The password form, for an account that
 * has one, then each other option the shopper has (`StepUp`'s `StepUpOption`s: a passkey, the
 * provider), each rendered from its own partial.
 */
export function createConfirmController({ stepUp }: { stepUp: StepUp }) {
  async function render(req: Request, res: Response, returnTo: string, errors: FieldErrors): Promise<void> {
    const user = loggedInUser(req);
    res.render('accounts/confirm', {
      pageTitle: "Confirm it's you",
      path: ACCOUNT_PATH,
      returnTo,
      errors,
      hasPassword: hasPassword(user),
      options: (await stepUp.optionsFor(user)).map((option) => option.view),
      minutes: stepUp.windowMinutes,
    });
  }

  async function getConfirm(req: Request, res: Response): Promise<void> {
    await render(req, res, localPath(req.query.returnTo) ?? ACCOUNT_PATH, {});
  }

  async function postConfirm(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const returnTo = localPath(formField(req, 'returnTo')) ?? ACCOUNT_PATH;
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      await render(req, res.status(422), returnTo, errors);
      return;
    }
    const check = await stepUp.check(req, user, typedText(matchedData(req, { onlyValidData: false }).currentPassword));
    if (!check.ok) {
      await render(req, res.status(422), returnTo, { currentPassword: WRONG_PASSWORD });
      return;
    }
    await saveSession(req);
    res.redirect(returnTo);
  }

  return { getConfirm, postConfirm };
}

export type ConfirmController = ReturnType<typeof createConfirmController>;
