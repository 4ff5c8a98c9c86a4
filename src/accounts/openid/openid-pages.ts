import type { Request, Response } from 'express';
import { requestFields } from '../../http/middleware/request-logger';
import type { Logger } from '../../platform/logger';
import { STATUS_CODES } from 'node:http';
import { SignInRefused, type OpenIdConnect } from './openid-connect';

/** The pages of a sign-in that cannot go on: the visitor's fault or the provider's, never a stack trace. */

/** A 4xx page: the callback refused (forged, replayed, expired, declined), nobody logged in. */
export function renderSignInRefused(res: Response, status: number, message: string): void {
  res.status(status).render('errors/client-error', {
    pageTitle: STATUS_CODES[status] ?? 'Sign-in refused',
    path: '',
    message,
  });
}

/** The provider could not be reached, or answered nonsense: logged, and the page says to try again later. */
export function renderProviderUnavailable(
  req: Request,
  res: Response,
  { label, logger, error }: { label: string; logger: Logger; error: unknown },
): void {
  logger.warn({ err: error, req: requestFields(req) }, 'OpenID provider unavailable');
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

/** Where to send the browser and the checks to keep; undefined once the provider's 503 page is sent. */
export async function startAtProvider(
  req: Request,
  res: Response,
  { oidc, logger }: { oidc: OpenIdConnect; logger: Logger },
): Promise<Awaited<ReturnType<OpenIdConnect['start']>> | undefined> {
  try {
    return await oidc.start();
  } catch (error) {
    renderProviderUnavailable(req, res, { label: oidc.label, logger, error });
    return undefined;
  }
}
