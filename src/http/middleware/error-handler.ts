import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../../platform/logger';
import { requestFields } from './request-logger';
import { errorMessage } from '../../platform/error-message';
import { TooManyRequestsError, notFound, statusOf } from '../http-error';
import { isDatabaseUnavailable } from '../../platform/database/unavailable';
import {
  renderClientError,
  renderForbidden,
  renderNotFound,
  renderServerError,
  renderServiceUnavailable,
  renderTooManyRequests,
} from '../error-pages';

/** After every route: whatever no route answered is a 404 page. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(notFound());
};

/**
 * The one place failed requests end: every error (thrown, rejected or passed to next) gets a
 * page with the right status. Bad input is a 4xx page, never a crash; 5xx are logged. A database
 * that cannot be reached (outage, failover) is a 503 page, whichever step of the request met it.
 */
export function errorHandler(options: { logger: Logger; showDetails: boolean }): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    // The request's fields on each line, as on its request log line (the id the 500 page shows).
    const log = options.logger.child({ req: requestFields(req) });
    if (res.headersSent) {
      // Too late for a page. A response already ended (the error came after it, e.g. express-session's
      // save at the end of a response whose page was already an error page) is left to finish, and
      // the error logged; otherwise Express's own handler ends the connection.
      if (res.writableEnded) log.error({ err: error }, 'error after the response ended');
      else next(error);
      return;
    }
    if (isDatabaseUnavailable(error)) {
      // An outage, not a bug: one short line per request, and a page asking to try again.
      log.warn({ reason: errorMessage(error) }, 'database unavailable');
      renderServiceUnavailable(req, res);
      return;
    }
    const status = statusOf(error);
    if (status >= 500) log.error({ err: error }, 'request failed');

    if (error instanceof TooManyRequestsError) renderTooManyRequests(res, error.retryAfterSeconds, error.retryPath);
    else if (status === 404) renderNotFound(res);
    else if (status === 403) renderForbidden(res);
    else if (status < 500) renderClientError(res, status);
    else {
      const details = options.showDetails && error instanceof Error ? (error.stack ?? error.message) : undefined;
      renderServerError(req, res, details);
    }
  };
}
