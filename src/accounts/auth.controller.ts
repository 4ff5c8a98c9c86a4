import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import bcrypt from 'bcrypt';
import { User } from './user.model';
import { typedText } from '../http/form-field';
import { localPath } from '../http/local-path';
import { csrfToken } from '../sessions/csrf';
import { destroySession, regenerateSession, saveSession } from '../sessions/session-promises';
import type { SessionCookie } from '../sessions/session-middleware';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { flash } from '../http/flash';

export interface AuthOptions {
  bcryptRounds: number;
  cookie: SessionCookie;
}

const LOGIN_FAILED = 'Invalid email or password.';
const EMAIL_TAKEN = 'An account with this email address already exists.';

// Forms are shown again with what was typed, except passwords: those are never sent back.
function renderLogin(res: Response, email: string, errors: FieldErrors, message?: string, returnTo?: string): void {
  res.render('auth/login', { pageTitle: 'Log in', path: '/login', email, errors, message, returnTo });
}

function renderSignup(res: Response, email: string, errors: FieldErrors): void {
  res.render('auth/signup', { pageTitle: 'Sign up', path: '/signup', email, errors });
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

export function createAuthController({ bcryptRounds, cookie }: AuthOptions) {
  // An unknown email still costs one bcrypt comparison, so response times don't reveal which accounts exist.
  let dummyHash: Promise<string> | undefined;
  const hashOfNothing = () => (dummyHash ??= bcrypt.hash('no such account', bcryptRounds));

  return {
    getLogin(req: Request, res: Response): void {
      renderLogin(res, '', {}, undefined, localPath(req.query.returnTo));
    },

    async postLogin(req: Request, res: Response): Promise<void> {
      const data = matchedData(req, { onlyValidData: false });
      const email = typedText(data.email);
      const returnTo = localPath((req.body as Record<string, unknown> | undefined)?.returnTo);
      const errors = fieldErrors(req);
      if (hasErrors(errors)) {
        renderLogin(res.status(422), email, errors, undefined, returnTo);
        return;
      }
      const password = typedText(data.password);
      const user = await User.findOne({ email });
      const passwordMatches = await bcrypt.compare(password, user?.password ?? (await hashOfNothing()));
      if (!user || !passwordMatches) {
        renderLogin(res.status(422), email, {}, LOGIN_FAILED, returnTo);
        return;
      }

      // A new session id at login: an id planted before login (fixation) is worth nothing after.
      await regenerateSession(req);
      req.session.isLoggedIn = true;
      req.session.user = { _id: user._id.toHexString(), email: user.email };
      req.session.loggedInAt = Date.now();
      // The new session gets its own CSRF token now, so the next page view has nothing to write.
      csrfToken(req, true);
      // Redirect only once the session is in the store: the next request must find it there.
      await saveSession(req);
      res.redirect(returnTo ?? '/');
    },

    getSignup(_req: Request, res: Response): void {
      renderSignup(res, '', {});
    },

    async postSignup(req: Request, res: Response): Promise<void> {
      const data = matchedData(req, { onlyValidData: false });
      const email = typedText(data.email);
      const errors = fieldErrors(req);
      if (hasErrors(errors)) {
        renderSignup(res.status(422), email, errors);
        return;
      }
      if (await User.exists({ email })) {
        renderSignup(res.status(422), email, { email: EMAIL_TAKEN });
        return;
      }
      const passwordHash = await bcrypt.hash(typedText(data.password), bcryptRounds);
      try {
        await User.create({ email, password: passwordHash, cart: { items: [] } });
      } catch (error) {
        // Two signups with one email at the same moment: the unique index decides.
        if (!isDuplicateKeyError(error)) throw error;
        renderSignup(res.status(422), email, { email: EMAIL_TAKEN });
        return;
      }
      flash(req, 'success', 'Your account is ready. Log in to start shopping.');
      res.redirect('/login');
    },

    async postLogout(req: Request, res: Response): Promise<void> {
      await destroySession(req);
      res.clearCookie(cookie.name, cookie.options);
      res.redirect('/');
    },
  };
}

export type AuthController = ReturnType<typeof createAuthController>;
