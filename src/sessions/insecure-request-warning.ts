import type { Request } from 'express';
import type { Logger } from '../platform/logger';

/** Called when a form is refused for want of `cookie` (the session's, or the visitor's CSRF cookie). */
export type RefusedFormWarning = (req: Request, cookie: string) => void;

/**
 * In production the session and CSRF cookies are Secure (`__Host-`): a browser that reached the
 * shop over plain HTTP never keeps them, and express-session does not even send its cookie unless
 * Express sees the request as HTTPS, which behind a TLS-terminating proxy takes `TRUST_PROXY`.
 * Every form then answers "Request refused" and nothing else says why: this warning does, once
 * per app (once per process), when a form is refused without its cookie on a request that Express
 * does not see as HTTPS.
 */
export function refusedFormWarning(options: {
  isProduction: boolean;
  trustProxy: boolean | number | string;
  logger: Logger;
}): RefusedFormWarning {
  let warned = false;
  return (req, cookie) => {
    if (warned || !options.isProduction || req.secure) return;
    if (cookieNames(req).has(cookie)) return; // refused for another reason: a wrong or stale token
    warned = true;
    const forwardedProto = req.get('x-forwarded-proto');
    const proxiedHttps = forwardedProto?.split(',')[0].trim().toLowerCase() === 'https';
    const fields = {
      event: 'insecure-request',
      cookie,
      forwardedProto,
      trustProxy: options.trustProxy,
      peer: req.socket.remoteAddress,
    };
    if (proxiedHttps) {
      options.logger.warn(
        fields,
        `a form was refused: the request came through a proxy with X-Forwarded-Proto: https, but TRUST_PROXY ` +
          `${options.trustProxy === false ? 'is not set' : `(${String(options.trustProxy)}) does not trust ${req.socket.remoteAddress ?? 'it'}`}, ` +
          `so the Secure cookie ${cookie} is never set: set TRUST_PROXY to the proxy's address or the number of proxies`,
      );
    } else {
      options.logger.warn(
        fields,
        `a form was refused: the request came over plain HTTP, where the Secure cookie ${cookie} is never kept: ` +
          `serve the shop over HTTPS, and behind a TLS-terminating proxy set TRUST_PROXY ` +
          `and have the proxy send X-Forwarded-Proto`,
      );
    }
  };
}

/** The names of the cookies a request sent (values are never looked at). */
function cookieNames(req: Request): Set<string> {
  const header = req.headers.cookie ?? '';
  return new Set(
    header
      .split(';')
      .map((pair) => pair.split('=')[0].trim())
      .filter((name) => name !== ''),
  );
}
