import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../platform/logger';

/** What a log line says of its request: never its headers, which carry the session cookie. */
export function requestFields(req: Request): { id: string; method: string; url: string } {
  return { id: req.id ?? '', method: req.method, url: req.originalUrl };
}

/**
 * One log line per request, written when its response is done (or the client went away), with
 * an id that the 500 page shows. Only method, URL, status and time are logged.
 *
 * Written by hand rather than with pino-http: that one serializes the request for a child logger
 * on every request (a tenth of an anonymous page's CPU in the bench, docs/performance.md); this
 * builds the line once, and pino writes it asynchronously as before.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    req.id = randomUUID();
    const startedAt = performance.now();
    res.once('close', () => logResponse(logger, req, res, startedAt));
    next();
  };
}

function logResponse(logger: Logger, req: Request, res: Response, startedAt: number): void {
  const responseTime = Math.round(performance.now() - startedAt);
  const line = { req: requestFields(req), res: { statusCode: res.statusCode }, responseTime };
  if (!res.writableFinished) logger.warn(line, 'request aborted');
  else if (res.statusCode >= 500) logger.error(line, 'request errored');
  else logger.info(line, 'request completed');
}
