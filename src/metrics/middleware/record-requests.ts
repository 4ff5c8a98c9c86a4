import type { RequestHandler } from 'express';
import { mountPathOf } from '../../http/mount';
import { NO_ROUTE, type ShopMetrics } from '../metrics';

/**
 * Counts and times every response, labelled by the pattern of the route that handled it
 * (`/account/sessions/revoke`, `/products/:productId`), never by the URL: a URL is the client's
 * choice, and every distinct one would be a new series.
 *
 * The label is the mount path of the route's router as the code wrote it (`http/mount.ts`) and the
 * route's own path: both fixed in the code. Never `req.baseUrl`, the part of the URL that matched
 * the mount path: routing ignores letter case, so `/ACCOUNT/sessions` and `/aCcOuNt/sessions`
 * would each have made a new series. A request no route matched gets the one label NO_ROUTE.
 *
 * The label is taken when Express assigns `req.route` (on a match), while the request is still in
 * the route's router: a route that passes an error on leaves its router before the error page is sent.
 */
export function recordRequests(metrics: ShopMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let route: unknown;
    let label = NO_ROUTE;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set: (value: unknown) => {
        route = value;
        const path = typeof value === 'object' && value !== null && 'path' in value ? value.path : undefined;
        label = typeof path === 'string' ? `${mountPathOf(req)}${path}` : NO_ROUTE;
      },
    });
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(req.method, label, res.statusCode, seconds);
    });
    next();
  };
}
