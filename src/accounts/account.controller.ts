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
import type { SecurityNotices } from './security-notices';
import type { StepUp } from './step-up/step-up';
import { stepUpErrors, stepUpFormLocals } from './step-up/step-up-form';
import type { TwoFactor } from './two-factor/two-factor.service';
import type { UserDocument } from './user.schema';

export interface AccountControllerOptions {
  accounts: Accounts;
  cookie: SessionCookie;
  securityLog: SecurityLog;
  /** Lists and ends the shopper's sessions. */
  userSessions: Pick<UserSessions, 'list' | 'ids' | 'end'>;
  /** Names a session in the devices form: never its id. */
  sessionReferences: SessionReferences;
  /** A fresh login for the sensitive changes: the password past SESSION_REAUTH_MINUTES. */
  stepUp: StepUp;
  notices: SecurityNotices;
  /** The second factor's state, on the account page. */
  twoFactor: Pick<TwoFactor, 'offered' | 'isOn' | 'recoveryCodesLeft'>;
  now: Clock;
  /** The provider's section of the account page (accounts/openid/), when OIDC_* are set. */
  openId?: { summary(user: UserDocument): Promise<object> };
}

/** Devices listed per page of /account/sessions. */
const DEVICES_PER_PAGE = 20;

/** The shopper's account: its address, password, second factor, devices, and its end. */
export function createAccountController(options: AccountControllerOptions) {
  const { accounts, cookie, securityLog, userSessions, sessionReferences, stepUp, notices, twoFactor, now, openId } =
    options;

  // Each sensitive form shows the current password field only past the window (step-up).
  function renderChangePassword(req: Request, res: Response, user: UserDocument, errors: FieldErrors): void {
    // Never sent back: none of the three fields, whatever was typed.
    res.render('accounts/change-password', {
      pageTitle: 'Change password',
      path: ACCOUNT_PATH,
      errors,
      stepUpForm: stepUpFormLocals(stepUp, req, user, `${ACCOUNT_PATH}/password`),
    });
  }

  function renderChangeEmail(
    req: Request,
    res: Response,
    user: UserDocument,
    email: string,
    errors: FieldErrors,
  ): void {
    res.render('accounts/change-email', {
      pageTitle: 'Change email address',
      path: ACCOUNT_PATH,
      email,
      errors,
      stepUpForm: stepUpFormLocals(stepUp, req, user, `${ACCOUNT_PATH}/email`),
    });
  }

  function renderDelete(req: Request, res: Response, user: UserDocument, errors: FieldErrors): void {
    res.render('accounts/delete', {
      pageTitle: 'Delete your account',
      path: ACCOUNT_PATH,
      errors,
      stepUpForm: stepUpFormLocals(stepUp, req, user, `${ACCOUNT_PATH}/delete`),
    });
  }

  async function getAccount(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    res.render('accounts/account', {
      pageTitle: 'Your account',
      path: ACCOUNT_PATH,
      email: user.email,
      emailVerified: user.emailVerified === true,
      twoFactor: twoFactor.offered
        ? { on: twoFactor.isOn(user), recoveryCodesLeft: twoFactor.recoveryCodesLeft(user) }
        : undefined,
      openId: await openId?.summary(user),
    });
  }

  async function postResendVerification(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    if (!user.emailVerified) await accounts.sendConfirmation(user);
    flash(req, res, 'info', `A new confirmation link is on its way to ${user.email}.`);
    res.redirect(ACCOUNT_PATH);
  }

  function getChangePassword(req: Request, res: Response): void {
    renderChangePassword(req, res, loggedInUser(req), {});
  }

  async function postChangePassword(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderChangePassword(req, res.status(422), user, errors);
      return;
    }
    const check = await stepUp.check(req, user, formField(req, 'currentPassword'));
    if (!check.ok) {
      renderChangePassword(req, res.status(422), user, stepUpErrors(stepUp, check.reason));
      return;
    }
    const { loggedInAt, authenticatedAt } = req.session;
    const generation = await accounts.changePassword(user, check.proof, typedText(formField(req, 'password')));
    notices.notify(req, user, 'password-changed');
    // Every session ended, this one included; it goes on under a new id in the new generation. The
    // absolute timeout still counts from the login, and the fresh login from when it was proved.
    await startLoggedInSession(req, {
      user: sessionUserFor(user),
      generation,
      loggedInAt: loggedInAt ?? now(),
      authenticatedAt: authenticatedAt ?? 0,
    });
    flash(req, res, 'success', 'Your password has been changed. Every other device has been logged out.');
    await saveSession(req);
    res.redirect(ACCOUNT_PATH);
  }

  function getChangeEmail(req: Request, res: Response): void {
    renderChangeEmail(req, res, loggedInUser(req), '', {});
  }

  /** The new address takes effect once it confirms; the current one is told at once. */
  async function postChangeEmail(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const email = typedText(matchedData(req, { onlyValidData: false }).email);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderChangeEmail(req, res.status(422), user, email, errors);
      return;
    }
    const check = await stepUp.check(req, user, formField(req, 'currentPassword'));
    if (!check.ok) {
      renderChangeEmail(req, res.status(422), user, email, stepUpErrors(stepUp, check.reason));
      return;
    }
    const outcome = await accounts.requestEmailChange(user, check.proof, email);
    if (outcome === 'same-address') {
      renderChangeEmail(req, res.status(422), user, email, { email: 'That is already your address.' });
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

  function getDelete(req: Request, res: Response): void {
    renderDelete(req, res, loggedInUser(req), {});
  }

  async function postDelete(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderDelete(req, res.status(422), user, errors);
      return;
    }
    const check = await stepUp.check(req, user, formField(req, 'currentPassword'));
    if (!check.ok) {
      renderDelete(req, res.status(422), user, stepUpErrors(stepUp, check.reason));
      return;
    }
    await accounts.deleteAccount(user, check.proof);
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
