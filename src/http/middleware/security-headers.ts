import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers (and no X-Powered-By), with a Content-Security-Policy that allows no inline
 * script at all: the views have none. Product images may come from any http(s) address.
 */
export function securityHeaders(options: { isProduction: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        'img-src': ["'self'", 'data:', 'https:', 'http:'],
        'style-src': ["'self'"],
        'script-src': ["'self'"],
        // Only over HTTPS: in development on http://localhost it would break every request.
        'upgrade-insecure-requests': options.isProduction ? [] : null,
      },
    },
  });
}
