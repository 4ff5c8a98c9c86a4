import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { ShopMetrics } from './metrics';

export interface MetricsControllerOptions {
  metrics: ShopMetrics;
  /** What a scraper sends as `Authorization: Bearer <token>` (METRICS_TOKEN). */
  token: string;
}

/*
 * The Prometheus endpoint. Its figures (routes, error rates, session counts) help an attacker as
 * much as an operator, so it answers only the bearer of the configured token. Mounted before the
 * session and the request log: a scrape every few seconds costs no session and no log line.
 */
export function createMetricsController({ metrics, token }: MetricsControllerOptions) {
  const expected = digest(token);

  async function getMetrics(req: Request, res: Response): Promise<void> {
    res.set('Cache-Control', 'no-store');
    const sent = /^Bearer ([\x21-\x7e]+)$/.exec(req.get('authorization') ?? '')?.[1];
    // Digests of equal length, compared in constant time: neither the token nor its length leaks.
    if (sent === undefined || !crypto.timingSafeEqual(digest(sent), expected)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('Unauthorized\n');
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  }

  return { getMetrics };
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}

export type MetricsController = ReturnType<typeof createMetricsController>;
