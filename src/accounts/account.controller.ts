import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Clock } from '../platform/clock';
import { typedText } from '../http/form-field';
import { flash } from '../http/flash';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { regenerateSession, saveSession } from '../sessions/session-promises';
import { startLoggedInSession } from '../sessions/login';
import type { Accounts } from './accounts.service';
import { loggedInUser, sessionUserFor } from './current-user';

export interface AccountControllerOptions {
  accounts: Accounts;
  now: Clock;
}

const WRONG_PASSWORD = 'That is not your current password.';

function renderChangePassword(res: Response, errors: FieldErrors): void {
  // Never sent back: none of the three fields, whatever was typed.
  res.render('auth/change-password', { pageTitle: 'Change password', path: '/account', errors });
}

/** The shopper's account page, password change and log out everywhere. */
export function createAccountController({ accounts, now }: AccountControllerOptions) {
  function getAccount(req: Request, res: Response): void {
    res.render('auth/account', { pageTitle: 'Your account', path: '/account', email: loggedInUser(req).email });
  }

  function getChangePassword(_req: Request, res: Response): void {
    renderChangePassword(res, {});
  }

  async function postChangePassword(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderChangePassword(res.status(422), errors);
      return;
    }
    const data = matchedData(req, { onlyValidData: false });
    const passwords = { current: typedText(data.currentPassword), next: typedText(data.password) };
    if (!(await accounts.changePassword(user, passwords, req.sessionID))) {
      renderChangePassword(res.status(422), { currentPassword: WRONG_PASSWORD });
      return;
    }
    // This session gets a new id too: the old one, if it leaked, is worth nothing. The absolute
    // timeout still counts from the login.
    await startLoggedInSession(req, sessionUserFor(user), req.session.loggedInAt ?? now());
    flash(req, 'success', 'Your password has been changed. Every other device has been logged out.');
    await saveSession(req);
    res.redirect('/account');
  }

  async function postLogoutEverywhere(req: Request, res: Response): Promise<void> {
    await accounts.logOutEverywhere(loggedInUser(req));
    // A fresh, anonymous session, only to carry the message to the login page.
    await regenerateSession(req);
    flash(req, 'success', 'You have been logged out on every device.');
    await saveSession(req);
    res.redirect('/login');
  }

  return { getAccount, getChangePassword, postChangePassword, postLogoutEverywhere };
}

export type AccountController = ReturnType<typeof createAccountController>;
