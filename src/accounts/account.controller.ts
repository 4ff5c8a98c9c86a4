import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Clock } from '../platform/clock';
import { formField, typedText } from '../http/form-field';
import { flash } from '../http/flash';
import { notFound } from '../http/http-error';
import { pageCountFor, pageHref, pagination, requestedPage } from '../http/pagination';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { destroySession, saveSession } from '../sessions/session-promises';
import type { SessionCookie } from '../sessions/session-cookie';
import { startLoggedInSession } from '../sessions/login';
import type { SecurityLog } from '../sessions/security-log';
import type { UserSessions } from '../sessions/user-sessions';
import type { SessionReferences } from '../sessions/session-references';
import type { Accounts } from './accounts.service';
import { loggedInUser, sessionUserFor } from './current-user';
import { deviceOf } from './devices';
import { ACCOUNT_PATH, ACCOUNT_SESSIONS_PATH } from './account.routes';
import { LOGIN_PATH } from './auth.routes';

export interface AccountControllerOptions {
  accounts: Accounts;
  cookie: SessionCookie;
  securityLog: SecurityLog;
  /** Lists and ends the shopper's sessions. */
  userSessions: Pick<UserSessions, 'list' | 'ids' | 'end'>;
  /** Names a session in the devices form: never its id. */
  sessionReferences: SessionReferences;
  now: Clock;
}

const WRONG_PASSWORD = 'That is not your current password.';
/** Devices listed per page of /account/sessions. */
const DEVICES_PER_PAGE = 20;

function renderChangePassword(res: Response, errors: FieldErrors): void {
  // Never sent back: none of the three fields, whatever was typed.
  res.render('accounts/change-password', { pageTitle: 'Change password', path: ACCOUNT_PATH, errors });
}

function renderChangeEmail(res: Response, email: string, errors: FieldErrors): void {
  res.render('accounts/change-email', { pageTitle: 'Change email address', path: ACCOUNT_PATH, email, errors });
}

function renderDelete(res: Response, errors: FieldErrors): void {
  res.render('accounts/delete', { pageTitle: 'Delete your account', path: ACCOUNT_PATH, errors });
}

/** The shopper's account: its address, password, devices, and its end. */
export function createAccountController(options: AccountControllerOptions) {
  const { accounts, cookie, securityLog, userSessions, sessionReferences, now } = options;

  function getAccount(req: Request, res: Response): void {
    const user = loggedInUser(req);
    res.render('accounts/account', {
      pageTitle: 'Your account',
      path: ACCOUNT_PATH,
      email: user.email,
      emailVerified: user.emailVerified === true,
    });
  }

  async function postResendVerification(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    if (!user.emailVerified) await accounts.sendConfirmation(user);
    flash(req, res, 'info', `A new confirmation link is on its way to ${user.email}.`);
    res.redirect(ACCOUNT_PATH);
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
    res.redirect(ACCOUNT_PATH);
  }

  function getChangeEmail(_req: Request, res: Response): void {
    renderChangeEmail(res, '', {});
  }

  /** The new address takes effect once it confirms; the current one is told at once. */
  async function postChangeEmail(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const email = typedText(matchedData(req, { onlyValidData: false }).email);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderChangeEmail(res.status(422), email, errors);
      return;
    }
    const outcome = await accounts.requestEmailChange(user, typedText(formField(req, 'currentPassword')), email);
    if (outcome === 'wrong-password') {
      renderChangeEmail(res.status(422), email, { currentPassword: WRONG_PASSWORD });
      return;
    }
    if (outcome === 'same-address') {
      renderChangeEmail(res.status(422), email, { email: 'That is already your address.' });
      return;
    }
    securityLog.event(req, 'email-change-requested', { userId: user._id.toHexString() });
    flash(req, res, 'info', `We have sent a link to ${email}: your address changes once you open it.`);
    res.redirect(ACCOUNT_PATH);
  }

  /** Newest login first, a page at a time: however many there are, each can be reached and ended. */
  async function getSessions(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const page = requestedPage(req.query.page);
    const { sessions, total } = await userSessions.list(user._id.toHexString(), {
      skip: (page - 1) * DEVICES_PER_PAGE,
      limit: DEVICES_PER_PAGE,
    });
    const pageCount = pageCountFor(total, DEVICES_PER_PAGE);
    if (page > pageCount) {
      res.redirect(pageHref(ACCOUNT_SESSIONS_PATH, pageCount));
      return;
    }
    res.render('accounts/sessions', {
      pageTitle: page === 1 ? 'Your devices' : `Your devices, page ${page}`,
      path: ACCOUNT_PATH,
      devices: sessions.map((session) => deviceOf(session, req.sessionID, sessionReferences)),
      pagination: pagination(ACCOUNT_SESSIONS_PATH, page, pageCount),
    });
  }

  /** Ends one of the shopper's sessions, named by its reference; their own ends like a logout. */
  async function postRevokeSession(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const reference = typedText(matchedData(req, { onlyValidData: false }).session);
    const userId = user._id.toHexString();
    // Any of the shopper's sessions, not only those of one page: a reference names one of them.
    const target = hasErrors(fieldErrors(req))
      ? undefined
      : (await userSessions.ids(userId)).find((id) => sessionReferences.of(id) === reference);
    if (!target) throw notFound();
    securityLog.event(req, 'session-ended', { userId });
    if (target === req.sessionID) {
      await destroySession(req);
      res.clearCookie(cookie.name, cookie.options);
      flash(req, res, 'success', 'This device has been logged out.');
      res.redirect(LOGIN_PATH);
      return;
    }
    await userSessions.end(userId, target);
    flash(req, res, 'success', 'That device has been logged out.');
    res.redirect(ACCOUNT_SESSIONS_PATH);
  }

  async function postLogoutEverywhere(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    await accounts.logOutEverywhere(user);
    securityLog.event(req, 'logout-everywhere', { userId: user._id.toHexString() });
    // This session went with the others: the visitor leaves with no session, only the message.
    await destroySession(req);
    res.clearCookie(cookie.name, cookie.options);
    flash(req, res, 'success', 'You have been logged out on every device.');
    res.redirect(LOGIN_PATH);
  }

  function getDelete(_req: Request, res: Response): void {
    renderDelete(res, {});
  }

  async function postDelete(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderDelete(res.status(422), errors);
      return;
    }
    if (!(await accounts.deleteAccount(user, typedText(formField(req, 'currentPassword'))))) {
      renderDelete(res.status(422), { currentPassword: WRONG_PASSWORD });
      return;
    }
    securityLog.event(req, 'account-deleted', { userId: user._id.toHexString() });
    await destroySession(req);
    res.clearCookie(cookie.name, cookie.options);
    flash(req, res, 'success', 'Your account has been deleted. Thank you for shopping with us.');
    res.redirect('/');
  }

  return {
    getAccount,
    postResendVerification,
    getChangePassword,
    postChangePassword,
    getChangeEmail,
    postChangeEmail,
    getSessions,
    postRevokeSession,
    postLogoutEverywhere,
    getDelete,
    postDelete,
  };
}

export type AccountController = ReturnType<typeof createAccountController>;
