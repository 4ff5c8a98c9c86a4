import { STATUS_CODES } from 'node:http';

/** An error that carries the HTTP status to answer with; the error handler picks the page. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string = STATUS_CODES[status] ?? 'Error',
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A limit was reached: the page says when to try again and links back to the form. */
export class TooManyRequestsError extends HttpError {
  constructor(
    readonly retryAfterSeconds: number,
    readonly retryPath: string,
  ) {
    super(429);
    this.name = 'TooManyRequestsError';
  }
}

export function notFound(): HttpError {
  return new HttpError(404);
}

/**
 * The status an error asks for: our HttpError, body-parser's errors (400 malformed, 413 too large),
 * csrf-sync's 403. Anything else is a bug or an outage: 500.
 */
export function statusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
    const candidate = typeof status === 'number' ? status : statusCode;
    if (typeof candidate === 'number' && candidate >= 400 && candidate <= 599) return candidate;
  }
  return 500;
}
