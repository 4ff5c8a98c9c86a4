import type { Request, Response } from 'express';
import { pingDatabase } from '../platform/database/ping';

export interface HealthControllerOptions {
  /** How long readiness waits for the database's answer. */
  pingTimeoutMs: number;
}

/*
 * For load balancers and orchestrators. Neither reads or creates a session, and neither is logged
 * (src/app.ts mounts them before the session and the request logger): probes come every few seconds.
 */
export function createHealthController({ pingTimeoutMs }: HealthControllerOptions) {
  /** Liveness: the process answers HTTP. Never touches the database, so an outage does not get it restarted. */
  function getHealthz(_req: Request, res: Response): void {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  }

  /** Readiness: send traffic here only while the database answers a ping. */
  async function getReadyz(_req: Request, res: Response): Promise<void> {
    res.set('Cache-Control', 'no-store');
    try {
      await pingDatabase(pingTimeoutMs);
      res.json({ status: 'ok' });
    } catch {
      // No reason given: the driver's message names the database's host, which is nobody's business
      // outside. The 503 pages of requests during the outage are logged with it.
      res.status(503).json({ status: 'unavailable' });
    }
  }

  return { getHealthz, getReadyz };
}

export type HealthController = ReturnType<typeof createHealthController>;
