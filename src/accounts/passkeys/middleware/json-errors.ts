import type { ErrorRequestHandler, Request } from 'express';
import { TooManyRequestsError, statusOf } from '../../../http/http-error';
import { isDatabaseUnavailable } from '../../../platform/database/unavailable';

/** What the passkey pages show for a refused request, by status. */
const MESSAGES: Record<number, string> = {
  400: 'The request could not be understood.',
  403: 'The request was refused: reload the page and try again.',
  404: 'Not found.',
  413: 'What you sent is too large.',
};

/** A ceremony's request: it sent JSON, or asks for JSON back (the pages' module does both). */
function wantsJson(req: Request): boolean {
  return req.is('application/json') === 'application/json' || req.accepts(['html', 'json']) === 'json';
}

/**
 * The passkey ceremonies speak JSON: a refusal before their handler (a CSRF token missing, a
 * malformed or oversized body, a rate limit) is answered as JSON with its 4xx status and a message
 * the page shows, not as an HTML page. Anything else (a form, a 5xx, an outage) goes on to the
 * shop's error handler.
 */
export const jsonErrors: ErrorRequestHandler = (error: unknown, req, res, next) => {
  const status = statusOf(error);
  if (res.headersSent || !wantsJson(req) || status >= 500 || isDatabaseUnavailable(error)) {
    next(error);
    return;
  }
  if (error instanceof TooManyRequestsError) {
    const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
    res
      .status(429)
      .json({ error: `Too many attempts. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.` });
    return;
  }
  res.status(status).json({ error: MESSAGES[status] ?? 'The request could not be processed.' });
};
