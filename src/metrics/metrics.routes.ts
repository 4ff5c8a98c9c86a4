import { areaRouter, type Parent } from '../http/area-router';
import type { MetricsController } from './metrics.controller';

export function metricsRoutes(app: Parent, { metrics }: { metrics: MetricsController }): void {
  areaRouter(app, '/').get('/metrics', metrics.getMetrics);
}
