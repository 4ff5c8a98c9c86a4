import type { Request } from 'express';
import type { FieldErrors } from '../../http/form-errors';
import type { UserDocument } from '../user.schema';
import { hasPassword, type StepUp } from './step-up';

/*
 * What every sensitive form shares (change the password or the email, the second factor on or
 * off, new recovery codes, delete the account; passkeys and providers next): the current password
 * field shown only past the window, and the words of a refusal.
 */

export const WRONG_PASSWORD = 'That is not your current password.';

/** The locals of views/accounts/current-password.ejs, the field (or the link to confirm) every sensitive form includes. */
export interface StepUpFormLocals {
  /** Show the current password field: the login is older than the window, and the account has a password. */
  askPassword: boolean;
  /** Past the window without a password (an account made by a provider): where to confirm instead. */
  confirmHref?: string;
}

export function stepUpFormLocals(stepUp: StepUp, req: Request, user: UserDocument, page: string): StepUpFormLocals {
  const stale = !stepUp.isFresh(req);
  return {
    askPassword: stale && hasPassword(user),
    confirmHref: stale && !hasPassword(user) ? stepUp.confirmHref(page) : undefined,
  };
}

/** The form's error for a refused check: a wrong password, or a login too old to change this without one. */
export function stepUpErrors(stepUp: StepUp, reason: 'wrong-password' | 'stale'): FieldErrors {
  if (reason === 'wrong-password') return { currentPassword: WRONG_PASSWORD };
  return {
    currentPassword: `For your safety, enter your current password: you last logged in more than ${stepUp.windowMinutes} minutes ago.`,
  };
}
