import type { RequestHandler } from 'express';
import { pingDatabase } from '../platform/database/ping';

/*
 * For load balancers and orchestrators. Neither reads or creates a session, and neither is logged
 * (src/app.ts mounts them before the session and the request logger): probes come every few seconds.
 */

/** Liveness: the process answers HTTP. Never touches the database, so an outage does not get it restarted. */
export const getHealthz: RequestHandler = (_req, res) => {
  res.set('Cache-Control', 'no-store').json({ status: 'ok' });
};

/** Readiness: send traffic here only while the database answers a ping. */
export function getReadyz(pingTimeoutMs: number): RequestHandler {
  return async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    try {
      await pingDatabase(pingTimeoutMs);
      res.json({ status: 'ok' });
    } catch {
      // No reason given: the driver's message names the database's host, which is nobody's business
      // outside. The 503 pages of requests during the outage are logged with it.
      res.status(503).json({ status: 'unavailable' });
    }
  };
}
