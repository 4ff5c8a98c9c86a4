import type { Request, Response } from 'express';
import { formField } from '../../http/form-field';
import { localPath } from '../../http/local-path';
import type { SecurityLog } from '../../sessions/security-log';
import { saveSession } from '../../sessions/session-promises';
import { ACCOUNT_PATH } from '../account.routes';
import { loggedInUser } from '../current-user';
import type { LoginFlow } from '../login/login-flow';
import type { StepUp } from '../step-up/step-up';
import type { PasskeyChallenges } from './passkey-challenges';
import type { PasskeyRefusal, Passkeys } from './passkeys.service';
import { authenticationResponseOf } from './webauthn-json';

export interface PasskeyLoginControllerOptions {
  passkeys: Passkeys;
  challenges: PasskeyChallenges;
  flow: LoginFlow;
  stepUp: StepUp;
  securityLog: SecurityLog;
}

const NOT_A_PASSKEY = 'That is not a passkey the shop can use.';
const EXPIRED = 'This request has expired or was already used: try again.';
const REFUSED: Record<PasskeyRefusal, string> = {
  'unknown-passkey':
    'That passkey is not one the shop knows: log in with your password, then add it on your account page.',
  'not-verified': 'The passkey could not be verified: try again.',
  'counter-went-back':
    'That passkey was refused: its use counter went backwards, as a copied one would. Log in another way; we have noted it.',
};

/**
 * Proving who one is with a passkey: a login from the login page (a visitor's, the double-submit
 * CSRF token in a header; the challenge in a signed cookie, so nothing is written to a session
 * until the passkey is verified), and "Confirm it's you" for a logged-in shopper (step-up/).
 */
export function createPasskeyLoginController({
  passkeys,
  challenges,
  flow,
  stepUp,
  securityLog,
}: PasskeyLoginControllerOptions) {
  /** A refused passkey: a failed login (or confirmation) in the security log; a counter gone back is an event of its own. */
  function refused(req: Request, res: Response, reason: PasskeyRefusal, userId?: string): void {
    if (reason === 'counter-went-back') securityLog.event(req, 'passkey-counter-went-back', { userId, reason });
    securityLog.event(req, 'login-failed', { userId, method: 'passkey', reason });
    res.status(reason === 'not-verified' ? 400 : 401).json({ error: REFUSED[reason] });
  }

  /** A login's options: any of the shop's passkeys (discoverable: the authenticator offers its own). */
  async function postLoginOptions(req: Request, res: Response): Promise<void> {
    const options = await passkeys.authenticationOptions();
    challenges.issue(req, res, 'login', options.challenge);
    res.json(options);
  }

  /** The login's answer: `{ response, returnTo }`. Verified, it logs in through the one login flow, as both factors. */
  async function postLogin(req: Request, res: Response): Promise<void> {
    const response = authenticationResponseOf(req.body);
    const challenge = await challenges.take(req, res, 'login');
    if (response === undefined) {
      res.status(400).json({ error: NOT_A_PASSKEY });
      return;
    }
    if (challenge === undefined) {
      res.status(400).json({ error: EXPIRED });
      return;
    }
    const verified = await passkeys.verify(response, challenge);
    if (!verified.ok) {
      refused(req, res, verified.reason, verified.userId);
      return;
    }
    const returnTo = localPath(formField(req, 'returnTo'));
    await flow.complete(req, res, { user: verified.user, method: 'passkey', returnTo, answer: 'json' });
  }

  /** "Confirm it's you" with a passkey: the options name only this shopper's passkeys. */
  async function postConfirmOptions(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    if (!(await passkeys.has(user._id))) {
      res.status(409).json({ error: 'You have no passkey yet.' });
      return;
    }
    const options = await passkeys.authenticationOptions(user);
    challenges.issue(req, res, 'confirm', options.challenge, user._id.toHexString());
    res.json(options);
  }

  /** The confirmation's answer: `{ response, returnTo }`. One of the shopper's own passkeys makes the session fresh. */
  async function postConfirm(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const response = authenticationResponseOf(req.body);
    const challenge = await challenges.take(req, res, 'confirm', user._id.toHexString());
    if (response === undefined) {
      res.status(400).json({ error: NOT_A_PASSKEY });
      return;
    }
    if (challenge === undefined) {
      res.status(400).json({ error: EXPIRED });
      return;
    }
    const verified = await passkeys.verify(response, challenge, user._id);
    if (!verified.ok) {
      refused(req, res, verified.reason, user._id.toHexString());
      return;
    }
    stepUp.confirmed(req, user, 'passkey');
    await saveSession(req);
    res.json({ location: localPath(formField(req, 'returnTo')) ?? ACCOUNT_PATH });
  }

  return { postLoginOptions, postLogin, postConfirmOptions, postConfirm };
}

export type PasskeyLoginController = ReturnType<typeof createPasskeyLoginController>;
