import type { RequestHandler } from 'express';
import compression from 'compression';

/**
 * Text responses compressed (gzip) for the clients that ask for it; level 4 of 9: nearly the size
 * of the default for less CPU. A request without `Accept-Encoding` (probes, scripts, benchmarks)
 * skips compression's wrapping of the response altogether: it would send it as it is anyway.
 */
export function compressWhenAsked(): RequestHandler {
  const compress = compression({ level: 4 });
  return (req, res, next) => {
    if (req.headers['accept-encoding'] === undefined) next();
    else compress(req, res, next);
  };
}
