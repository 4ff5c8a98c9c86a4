import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Clock } from '../../platform/clock';
import { flash } from '../../http/flash';
import { fieldErrors, hasErrors, type FieldErrors } from '../../http/form-errors';
import { typedText } from '../../http/form-field';
import {
  SECOND_FACTOR_ATTEMPTS,
  type PendingSecondFactor,
  type PendingSecondFactors,
} from '../../sessions/pending-second-factor';
import type { SecurityLog } from '../../sessions/security-log';
import type { SessionCookie } from '../../sessions/session-cookie';
import { destroySession } from '../../sessions/session-promises';
import type { TwoFactor } from '../two-factor/two-factor.service';
import { LOGIN_PATH } from '../auth.routes';
import { renderLogin } from '../auth.controller';
import type { LoginFlow } from './login-flow';
import { LOGIN_TWO_FACTOR_PATH } from './login-two-factor.routes';

export interface LoginTwoFactorControllerOptions {
  twoFactor: TwoFactor;
  pending: PendingSecondFactors;
  flow: LoginFlow;
  securityLog: SecurityLog;
  cookie: SessionCookie;
  now: Clock;
}

const START_AGAIN = 'That login has expired: enter your email and password again.';
const TOO_MANY = 'Too many wrong codes: enter your email and password again.';

/** The code of a login that has a second factor: from the authenticator app, or a recovery code. */
export function createLoginTwoFactorController(options: LoginTwoFactorControllerOptions) {
  const { twoFactor, pending, flow, securityLog, cookie, now } = options;

  // The code is never shown again, right or wrong.
  function renderCode(res: Response, step: PendingSecondFactor, errors: FieldErrors): void {
    res.render('accounts/login-two-factor', {
      pageTitle: 'Two-factor authentication',
      path: LOGIN_TWO_FACTOR_PATH,
      errors,
      attemptsLeft: SECOND_FACTOR_ATTEMPTS - step.attempts,
    });
  }

  /**
   * The pending step is over (expired, spent, its account changed): its session goes, and the
   * password is asked again. A visit without one (a visitor, a logged-in shopper) keeps what it has.
   */
  async function endStep(req: Request, res: Response): Promise<void> {
    if (pending.stored(req) === undefined) return;
    await destroySession(req);
    res.clearCookie(cookie.name, cookie.options);
  }

  async function startAgain(req: Request, res: Response): Promise<void> {
    if (pending.stored(req) !== undefined) flash(req, res, 'error', START_AGAIN);
    await endStep(req, res);
    res.redirect(LOGIN_PATH);
  }

  async function getCode(req: Request, res: Response): Promise<void> {
    const step = pending.current(req, now());
    if (!step) return startAgain(req, res);
    renderCode(res, step, {});
  }

  async function postCode(req: Request, res: Response): Promise<void> {
    const step = pending.current(req, now());
    if (!step) return startAgain(req, res);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderCode(res.status(422), step, errors);
      return;
    }
    const user = await twoFactor.accountFor(step.userId);
    // Gone, its sessions ended (a password change, "log out everywhere") or its second factor off meanwhile.
    if (!user || (user.sessionGeneration ?? 0) !== step.generation || !twoFactor.isOn(user)) {
      return startAgain(req, res);
    }
    const code = typedText(matchedData(req, { onlyValidData: false }).code);
    const kind = await twoFactor.verifyLogin(user, code);
    if (kind === undefined) {
      const attempts = await pending.countWrongCode(req, step);
      const spent = attempts >= SECOND_FACTOR_ATTEMPTS;
      securityLog.event(req, 'second-factor-failed', {
        userId: step.userId,
        reason: spent ? 'attempts spent: the password is asked again' : undefined,
      });
      if (spent) {
        await endStep(req, res);
        renderLogin(res.status(422), '', {}, TOO_MANY, step.returnTo);
        return;
      }
      const left = SECOND_FACTOR_ATTEMPTS - attempts;
      renderCode(
        res.status(422),
        { ...step, attempts },
        {
          code: `That code is not right (or was used already). ${left} ${left === 1 ? 'try' : 'tries'} left.`,
        },
      );
      return;
    }
    if (kind === 'recovery-code') {
      const left = twoFactor.recoveryCodesLeft(user) - 1;
      flash(
        req,
        res,
        left > 2 ? 'info' : 'error',
        `You used a recovery code: ${left} left. Make new ones on your account page.`,
      );
    }
    await flow.complete(req, res, {
      user,
      method: kind === 'totp' ? 'password+totp' : 'password+recovery-code',
      returnTo: step.returnTo,
      generation: step.generation,
    });
  }

  return { getCode, postCode };
}

export type LoginTwoFactorController = ReturnType<typeof createLoginTwoFactorController>;
