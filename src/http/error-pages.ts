import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';

/** The error pages. Which one a failed request gets is decided in middleware/error-handler.ts. */

export function renderNotFound(res: Response): void {
  res.status(404).render('errors/404', { pageTitle: 'Page not found', path: '' });
}

export function renderForbidden(res: Response): void {
  res.status(403).render('errors/403', { pageTitle: 'Request refused', path: '' });
}

/** A 429 page saying when to try again (the limiter has set `Retry-After`). */
export function renderTooManyRequests(res: Response, retryAfterSeconds: number, retryPath: string): void {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  res.status(429).render('errors/429', {
    pageTitle: 'Too many attempts',
    path: '',
    retryPath,
    message: `Too many attempts. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`,
  });
}

const CLIENT_ERROR_MESSAGES: Record<number, string> = {
  400: 'The request could not be understood.',
  413: 'What you sent is too large.',
};

/** Any other 4xx: malformed bodies, oversized forms. */
export function renderClientError(res: Response, status: number): void {
  res.status(status).render('errors/client-error', {
    pageTitle: STATUS_CODES[status] ?? 'Bad request',
    path: '',
    message: CLIENT_ERROR_MESSAGES[status] ?? 'The request could not be processed.',
  });
}

/** A request id lets a shopper's report be matched with the log; details only outside production. */
export function renderServerError(req: Request, res: Response, details: string | undefined): void {
  res.status(500).render('errors/500', {
    pageTitle: 'Something went wrong',
    path: '',
    requestId: req.id,
    details,
  });
}

/** Seconds a shopper (or a client honouring Retry-After) should wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The database is unreachable. The page has no navigation: whether the visitor is logged in is
 * unknown (the session could not be read), and showing "Log in" would tell a shopper they are not.
 */
export function renderServiceUnavailable(req: Request, res: Response): void {
  res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS)).render('errors/503', {
    pageTitle: 'Shop briefly unavailable',
    requestId: req.id,
  });
}
