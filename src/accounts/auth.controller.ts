import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Clock } from '../platform/clock';
import { typedText } from '../http/form-field';
import { localPath } from '../http/local-path';
import { flash } from '../http/flash';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { destroySession, saveSession } from '../sessions/session-promises';
import type { SessionCookie } from '../sessions/session-cookie';
import { startLoggedInSession } from '../sessions/login';
import type { SecurityLog } from '../sessions/security-log';
import type { Accounts } from './accounts.service';
import { sessionUserFor } from './current-user';

export interface AuthControllerOptions {
  accounts: Accounts;
  cookie: SessionCookie;
  securityLog: SecurityLog;
  now: Clock;
}

const LOGIN_FAILED = 'Invalid email or password.';
const EMAIL_TAKEN = 'An account with this email address already exists.';

// Forms are shown again with what was typed, except passwords: those are never sent back.
function renderLogin(res: Response, email: string, errors: FieldErrors, message?: string, returnTo?: string): void {
  res.render('accounts/login', { pageTitle: 'Log in', path: '/login', email, errors, message, returnTo });
}

function renderSignup(res: Response, email: string, errors: FieldErrors): void {
  res.render('accounts/signup', { pageTitle: 'Sign up', path: '/signup', email, errors });
}

/** Login, signup and logout. */
export function createAuthController({ accounts, cookie, securityLog, now }: AuthControllerOptions) {
  function getLogin(req: Request, res: Response): void {
    renderLogin(res, '', {}, undefined, localPath(req.query.returnTo));
  }

  async function postLogin(req: Request, res: Response): Promise<void> {
    const data = matchedData(req, { onlyValidData: false });
    const email = typedText(data.email);
    const returnTo = localPath((req.body as Record<string, unknown> | undefined)?.returnTo);
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

  async function postSignup(req: Request, res: Response): Promise<void> {
    const data = matchedData(req, { onlyValidData: false });
    const email = typedText(data.email);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderSignup(res.status(422), email, errors);
      return;
    }
    if ((await accounts.signUp(email, typedText(data.password))) === 'email-taken') {
      renderSignup(res.status(422), email, { email: EMAIL_TAKEN });
      return;
    }
    flash(req, res, 'success', 'Your account is ready. Log in to start shopping.');
    res.redirect('/login');
  }

  async function postLogout(req: Request, res: Response): Promise<void> {
    securityLog.event(req, 'logout', { userId: req.user?._id.toHexString() });
    await destroySession(req);
    res.clearCookie(cookie.name, cookie.options);
    res.redirect('/');
  }

  return { getLogin, postLogin, getSignup, postSignup, postLogout };
}

export type AuthController = ReturnType<typeof createAuthController>;
