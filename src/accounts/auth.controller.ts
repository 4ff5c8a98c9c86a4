import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Clock } from '../platform/clock';
import { formField, typedText } from '../http/form-field';
import { localPath } from '../http/local-path';
import { flash } from '../http/flash';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { destroySession, saveSession } from '../sessions/session-promises';
import type { SessionCookie } from '../sessions/session-cookie';
import { startLoggedInSession } from '../sessions/login';
import type { SecurityLog } from '../sessions/security-log';
import type { Accounts } from './accounts.service';
import { wellFormedToken } from './account-token.model';
import { sessionUserFor } from './current-user';
import { ACCOUNT_PATH } from './account.routes';
import { LOGIN_PATH, RESET_PATH, SIGNUP_PATH } from './auth.routes';

export interface AuthControllerOptions {
  accounts: Accounts;
  cookie: SessionCookie;
  securityLog: SecurityLog;
  now: Clock;
  /** Whether mail goes anywhere: without it the reset page says so instead of promising a message. */
  mailIsOn: boolean;
}

const LOGIN_FAILED = 'Invalid email or password.';
const SIGNED_UP = 'Your account is ready: log in to start shopping. We have sent a link to confirm your email address.';

// Forms are shown again with what was typed, except passwords: those are never sent back.
function renderLogin(res: Response, email: string, errors: FieldErrors, message?: string, returnTo?: string): void {
  res.render('accounts/login', { pageTitle: 'Log in', path: LOGIN_PATH, email, errors, message, returnTo });
}

function renderSignup(res: Response, email: string, errors: FieldErrors): void {
  res.render('accounts/signup', { pageTitle: 'Sign up', path: SIGNUP_PATH, email, errors });
}

function renderLinkInvalid(res: Response): void {
  res.status(410).render('accounts/link-invalid', { pageTitle: 'This link no longer works', path: '' });
}

/** Login, signup, logout, and the links mailed to an address: password reset and confirmation. */
export function createAuthController({ accounts, cookie, securityLog, now, mailIsOn }: AuthControllerOptions) {
  function renderReset(res: Response, view: { email: string; errors: FieldErrors; sent?: boolean }): void {
    res.render('accounts/reset', { pageTitle: 'Reset your password', path: RESET_PATH, mailIsOn, ...view });
  }

  function renderNewPassword(res: Response, passwordToken: string, errors: FieldErrors): void {
    res.render('accounts/new-password', { pageTitle: 'Choose a new password', path: '', passwordToken, errors });
  }

  function getLogin(req: Request, res: Response): void {
    renderLogin(res, '', {}, undefined, localPath(req.query.returnTo));
  }

  async function postLogin(req: Request, res: Response): Promise<void> {
    const data = matchedData(req, { onlyValidData: false });
    const email = typedText(data.email);
    const returnTo = localPath(formField(req, 'returnTo'));
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderLogin(res.status(422), email, errors, undefined, returnTo);
      return;
    }
    const user = await accounts.authenticate(email, typedText(data.password));
    if (!user) {
      securityLog.event(req, 'login-failed');
      renderLogin(res.status(422), email, {}, LOGIN_FAILED, returnTo);
      return;
    }
    await startLoggedInSession(req, {
      user: sessionUserFor(user),
      generation: user.sessionGeneration ?? 0,
      loggedInAt: now(),
    });
    securityLog.event(req, 'login', { userId: user._id.toHexString() });
    // Redirect only once the session is in the store: the next request must find it there.
    await saveSession(req);
    res.redirect(returnTo ?? '/');
  }

  function getSignup(_req: Request, res: Response): void {
    renderSignup(res, '', {});
  }

  /** The same answer whether the address was free or not (its owner is mailed instead). */
  async function postSignup(req: Request, res: Response): Promise<void> {
    const data = matchedData(req, { onlyValidData: false });
    const email = typedText(data.email);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderSignup(res.status(422), email, errors);
      return;
    }
    await accounts.signUp(email, typedText(data.password));
    flash(req, res, 'success', SIGNED_UP);
    res.redirect(LOGIN_PATH);
  }

  async function postLogout(req: Request, res: Response): Promise<void> {
    securityLog.event(req, 'logout', { userId: req.user?._id.toHexString() });
    await destroySession(req);
    res.clearCookie(cookie.name, cookie.options);
    res.redirect('/');
  }

  function getReset(_req: Request, res: Response): void {
    renderReset(res, { email: '', errors: {} });
  }

  /** The same page, whether the address has an account or not: the message goes out in the background. */
  async function postReset(req: Request, res: Response): Promise<void> {
    const email = typedText(matchedData(req, { onlyValidData: false }).email);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderReset(res.status(422), { email, errors });
      return;
    }
    await accounts.requestPasswordReset(email);
    securityLog.event(req, 'password-reset-requested');
    renderReset(res, { email, errors: {}, sent: true });
  }

  /** The link from the mail: the form for a new password, while the link is good (looking does not use it up). */
  async function getResetToken(req: Request, res: Response): Promise<void> {
    const token = wellFormedToken(req.params.token);
    if (!token || !(await accounts.resetTokenIsValid(token))) {
      renderLinkInvalid(res);
      return;
    }
    renderNewPassword(res, token, {});
  }

  /** A new password, every session of the shopper ended, and a login on a new session. */
  async function postNewPassword(req: Request, res: Response): Promise<void> {
    const data = matchedData(req, { onlyValidData: false });
    const token = wellFormedToken(data.passwordToken);
    if (!token) {
      renderLinkInvalid(res);
      return;
    }
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderNewPassword(res.status(422), token, errors);
      return;
    }
    const reset = await accounts.resetPassword(token, typedText(data.password));
    if (!reset) {
      renderLinkInvalid(res);
      return;
    }
    await startLoggedInSession(req, {
      user: sessionUserFor(reset.user),
      generation: reset.generation,
      loggedInAt: now(),
    });
    securityLog.event(req, 'password-reset', { userId: reset.user._id.toHexString() });
    flash(req, res, 'success', 'Your password has been changed, and every other device logged out.');
    await saveSession(req);
    res.redirect('/');
  }

  /** The link that confirms an address: the shopper's own, or the new one of an email change. */
  async function getVerifyEmail(req: Request, res: Response): Promise<void> {
    const token = wellFormedToken(req.params.token);
    const outcome = token ? await accounts.confirmEmail(token) : 'invalid';
    if (outcome === 'invalid') {
      renderLinkInvalid(res);
      return;
    }
    if (outcome === 'address-taken') {
      flash(req, res, 'error', 'That address belongs to another account now: your address has not changed.');
    } else {
      securityLog.event(req, 'email-confirmed');
      flash(
        req,
        res,
        'success',
        outcome === 'changed' ? 'Your new email address is in use.' : 'Your email address is confirmed.',
      );
    }
    res.redirect(req.user ? ACCOUNT_PATH : LOGIN_PATH);
  }

  return {
    getLogin,
    postLogin,
    getSignup,
    postSignup,
    postLogout,
    getReset,
    postReset,
    getResetToken,
    postNewPassword,
    getVerifyEmail,
  };
}

export type AuthController = ReturnType<typeof createAuthController>;
