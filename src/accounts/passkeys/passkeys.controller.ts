import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { flash } from '../../http/flash';
import { fieldErrors, hasErrors, type FieldErrors } from '../../http/form-errors';
import { formField } from '../../http/form-field';
import { parseObjectId } from '../../http/object-id';
import { loggedInUser } from '../current-user';
import { ACCOUNT_PATH } from '../account.routes';
import type { SecurityNotices } from '../security-notices';
import type { StepUp } from '../step-up/step-up';
import { stepUpErrors, stepUpFormLocals } from '../step-up/step-up-form';
import type { PasskeyChallenges } from './passkey-challenges';
import { MAX_PASSKEYS, type Passkeys } from './passkeys.service';
import { PASSKEYS_PATH, PASSKEY_PATHS } from './passkey-paths';
import { MAX_PASSKEY_NAME, passkeyNameOf, registrationResponseOf } from './webauthn-json';

export interface PasskeysControllerOptions {
  passkeys: Passkeys;
  challenges: PasskeyChallenges;
  stepUp: StepUp;
  notices: SecurityNotices;
}

const NAME_NEEDED = `Give the passkey a name of at most ${MAX_PASSKEY_NAME} characters, such as "Laptop" or "Phone".`;

/** A ceremony's refusal: its status, and the words the page shows (with, past the window, where to confirm). */
function refuse(res: Response, status: number, error: string, extra: { field?: string; location?: string } = {}): void {
  res.status(status).json({ error, ...extra });
}

/**
 * The shopper's passkeys at /account/passkeys: the list, adding one (a JSON ceremony driven by
 * public/js/passkeys.mjs) and removing one (a form). Both are sensitive changes: they need a fresh
 * login (step-up/), or the current password, and each mails the shopper and is a security event.
 */
export function createPasskeysController({ passkeys, challenges, stepUp, notices }: PasskeysControllerOptions) {
  async function render(req: Request, res: Response, removeErrors: FieldErrors = {}): Promise<void> {
    const user = loggedInUser(req);
    const list = await passkeys.list(user._id);
    res.render('accounts/passkeys', {
      pageTitle: 'Passkeys',
      path: ACCOUNT_PATH,
      passkeys: list.map((passkey) => ({ ...passkey, id: passkey._id.toHexString() })),
      canAdd: list.length < MAX_PASSKEYS,
      maxPasskeys: MAX_PASSKEYS,
      maxNameLength: MAX_PASSKEY_NAME,
      stepUpForm: stepUpFormLocals(stepUp, req, user, PASSKEYS_PATH),
      removeErrors,
      paths: PASSKEY_PATHS,
    });
  }

  async function getPasskeys(req: Request, res: Response): Promise<void> {
    await render(req, res);
  }

  /**
   * A registration's options. Its name is checked first (before the browser's dialog), and who the
   * shopper is: fresh, or the current password sent along (a right one freshens the session, which
   * the answer then needs). The challenge goes in this browser's cookie, bound to the shopper.
   */
  async function postAddOptions(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    if (passkeyNameOf(formField(req, 'name')) === undefined) {
      refuse(res, 422, NAME_NEEDED, { field: 'name' });
      return;
    }
    const password = formField(req, 'currentPassword');
    const check = await stepUp.check(req, user, typeof password === 'string' && password !== '' ? password : undefined);
    if (!check.ok) {
      // Stale: the page asks for the password (or, without its field, sends the shopper to confirm).
      const message = stepUpErrors(stepUp, check.reason).currentPassword ?? '';
      if (check.reason === 'stale')
        refuse(res, 403, message, { field: 'currentPassword', location: stepUp.confirmHref(PASSKEYS_PATH) });
      else refuse(res, 422, message, { field: 'currentPassword' });
      return;
    }
    const options = await passkeys.registrationOptions(user);
    challenges.issue(req, res, 'add', options.challenge, user._id.toHexString());
    res.json(options);
  }

  /** The registration's answer: `{ name, response }`. Kept, mailed, logged; the page then lists it. */
  async function postAdd(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const name = passkeyNameOf(formField(req, 'name'));
    const response = registrationResponseOf(formField(req, 'response'));
    const challenge = await challenges.take(req, res, 'add', user._id.toHexString());
    if (name === undefined) {
      refuse(res, 422, NAME_NEEDED, { field: 'name' });
      return;
    }
    if (response === undefined) {
      refuse(res, 400, 'That is not a passkey the shop can use.');
      return;
    }
    if (challenge === undefined) {
      refuse(res, 400, 'This request has expired or was already used: try again.');
      return;
    }
    const check = await stepUp.check(req, user, undefined);
    if (!check.ok) {
      refuse(res, 403, stepUpErrors(stepUp, check.reason).currentPassword ?? '', {
        location: stepUp.confirmHref(PASSKEYS_PATH),
      });
      return;
    }
    const added = await passkeys.add(user, check.proof, response, challenge, name);
    if (!added.ok) {
      if (added.reason === 'already-added') refuse(res, 409, 'That passkey is already one of yours.');
      else if (added.reason === 'too-many') refuse(res, 409, `You have ${MAX_PASSKEYS} passkeys: remove one first.`);
      else refuse(res, 400, 'The passkey could not be verified: try again.');
      return;
    }
    notices.notify(req, user, 'passkey-added', { name });
    flash(req, res, 'success', `Passkey “${name}” added: you can now log in with it.`);
    res.json({ location: PASSKEYS_PATH });
  }

  /** Removes one: the current password past the window. The shopper is mailed. */
  async function postRemove(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      await render(req, res.status(422), errors);
      return;
    }
    const check = await stepUp.check(req, user, formField(req, 'currentPassword'));
    if (!check.ok) {
      await render(req, res.status(422), stepUpErrors(stepUp, check.reason));
      return;
    }
    const passkeyId = parseObjectId(matchedData(req).passkey);
    const removed = passkeyId && (await passkeys.remove(user, check.proof, passkeyId));
    if (!removed) {
      flash(req, res, 'info', 'That passkey was removed already.');
      res.redirect(PASSKEYS_PATH);
      return;
    }
    notices.notify(req, user, 'passkey-removed', { name: removed.name });
    flash(req, res, 'success', `Passkey “${removed.name}” removed: it no longer logs in.`);
    res.redirect(PASSKEYS_PATH);
  }

  return { getPasskeys, postAddOptions, postAdd, postRemove };
}

export type PasskeysController = ReturnType<typeof createPasskeysController>;
