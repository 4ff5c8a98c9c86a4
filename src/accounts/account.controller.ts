import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Clock } from '../platform/clock';
import { typedText } from '../http/form-field';
import { flash } from '../http/flash';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { destroySession, saveSession } from '../sessions/session-promises';
import type { SessionCookie } from '../sessions/session-cookie';
import { startLoggedInSession } from '../sessions/login';
import type { SecurityLog } from '../sessions/security-log';
import type { Accounts } from './accounts.service';
import { loggedInUser, sessionUserFor } from './current-user';

export interface AccountControllerOptions {
  accounts: Accounts;
  cookie: SessionCookie;
  securityLog: SecurityLog;
  now: Clock;
}

const WRONG_PASSWORD = 'That is not your current password.';

function renderChangePassword(res: Response, errors: FieldErrors): void {
  // Never sent back: none of the three fields, whatever was typed.
  res.render('accounts/change-password', { pageTitle: 'Change password', path: '/account', errors });
}

/** The shopper's account page, password change and log out everywhere. */
export function createAccountController({ accounts, cookie, securityLog, now }: AccountControllerOptions) {
  function getAccount(req: Request, res: Response): void {
    res.render('accounts/account', { pageTitle: 'Your account', path: '/account', email: loggedInUser(req).email });
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
    const loggedInAt = req.session.loggedInAt ?? now();
    const generation = await accounts.changePassword(user, passwords);
    if (generation === undefined) {
      renderChangePassword(res.status(422), { currentPassword: WRONG_PASSWORD });
      return;
    }
    securityLog.event(req, 'password-changed', { userId: user._id.toHexString() });
    // Every session ended, this one included; it goes on under a new id in the new generation. The
    // absolute timeout still counts from the login.
    await startLoggedInSession(req, { user: sessionUserFor(user), generation, loggedInAt });
    flash(req, res, 'success', 'Your password has been changed. Every other device has been logged out.');
    await saveSession(req);
    res.redirect('/account');
  }

  async function postLogoutEverywhere(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    await accounts.logOutEverywhere(user);
    securityLog.event(req, 'logout-everywhere', { userId: user._id.toHexString() });
    // This session went with the others: the visitor leaves with no session, only the message.
    await destroySession(req);
    res.clearCookie(cookie.name, cookie.options);
    flash(req, res, 'success', 'You have been logged out on every device.');
    res.redirect('/login');
  }

  return { getAccount, getChangePassword, postChangePassword, postLogoutEverywhere };
}

export type AccountController = ReturnType<typeof createAccountController>;
