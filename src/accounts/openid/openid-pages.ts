import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { SignInRefused } from './openid-connect';

/** The pages of a sign-in that cannot go on: the visitor's fault or the provider's, never a stack trace. */

/** A 4xx page: the callback refused (forged, replayed, expired, declined), nobody logged in. */
export function renderSignInRefused(res: Response, status: number, message: string): void {
  res.status(status).render('errors/client-error', {
    pageTitle: STATUS_CODES[status] ?? 'Sign-in refused',
    path: '',
    message,
  });
}

/** The provider could not be reached, or answered nonsense: try again later. */
export function renderProviderUnavailable(res: Response, label: string): void {
  res
    .status(503)
    .set('Retry-After', '30')
    .render('errors/client-error', {
      pageTitle: `${label} unavailable`,
      path: '',
      message: `${label} cannot be reached right now, so you cannot sign in with it. Try again in a minute, or log in with your password.`,
    });
}

/** Whether a failure of `start` or `finish` is the visitor's (a 4xx) rather than the provider's (503). */
export function isRefusal(error: unknown): error is SignInRefused {
  return error instanceof SignInRefused;
}
