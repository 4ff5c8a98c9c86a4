import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import bcrypt from 'bcrypt';
import { User } from './user.model';
import { typedText } from '../http/form-field';
import { loggedInUser } from './require-login';
import { csrfToken } from '../sessions/csrf';
import { flash } from '../http/flash';
import { regenerateSession, saveSession } from '../sessions/session-promises';
import type { MongoSessionStore } from '../sessions/mongo-session-store';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';

export interface AccountOptions {
  bcryptRounds: number;
  /** Finds and ends a shopper's sessions through the index on `session.user._id`. */
  sessionStore: Pick<MongoSessionStore, 'destroyUserSessions'>;
}

const WRONG_PASSWORD = 'That is not your current password.';

function renderChangePassword(res: Response, errors: FieldErrors): void {
  // Never sent back: none of the three fields, whatever was typed.
  res.render('auth/change-password', { pageTitle: 'Change password', path: '/account', errors });
}

export function createAccountController({ bcryptRounds, sessionStore }: AccountOptions) {
  return {
    getAccount(req: Request, res: Response): void {
      res.render('auth/account', { pageTitle: 'Your account', path: '/account', email: loggedInUser(req).email });
    },

    getChangePassword(_req: Request, res: Response): void {
      renderChangePassword(res, {});
    },

    async postChangePassword(req: Request, res: Response): Promise<void> {
      const user = loggedInUser(req);
      const errors = fieldErrors(req);
      if (hasErrors(errors)) {
        renderChangePassword(res.status(422), errors);
        return;
      }
      const data = matchedData(req, { onlyValidData: false });
      if (!(await bcrypt.compare(typedText(data.currentPassword), user.password))) {
        renderChangePassword(res.status(422), { currentPassword: WRONG_PASSWORD });
        return;
      }
      const password = await bcrypt.hash(typedText(data.password), bcryptRounds);
      await User.updateOne({ _id: user._id }, { $set: { password } });

      // Whoever else holds a session of this shopper (a stolen cookie, a forgotten computer) is out,
      // and this session gets a new id: the old one, if it leaked, is worth nothing.
      const userId = user._id.toHexString();
      const { loggedInAt } = req.session;
      await sessionStore.destroyUserSessions(userId, req.sessionID);
      await regenerateSession(req);
      req.session.isLoggedIn = true;
      req.session.user = { _id: userId, email: user.email };
      // A password change does not restart the absolute timeout: it counts from the login.
      req.session.loggedInAt = loggedInAt;
      csrfToken(req, true);
      flash(req, 'success', 'Your password has been changed. Every other device has been logged out.');
      await saveSession(req);
      res.redirect('/account');
    },

    async postLogoutEverywhere(req: Request, res: Response): Promise<void> {
      const userId = loggedInUser(req)._id.toHexString();
      await sessionStore.destroyUserSessions(userId);
      // A fresh, anonymous session, only to carry the message to the login page.
      await regenerateSession(req);
      flash(req, 'success', 'You have been logged out on every device.');
      await saveSession(req);
      res.redirect('/login');
    },
  };
}

export type AccountController = ReturnType<typeof createAccountController>;
