import { Router } from 'express';
import type { MetricsController } from './metrics.controller';

export function metricsRoutes(metrics: MetricsController): Router {
  const routes = Router();
  routes.get('/metrics', metrics.getMetrics);
  return routes;
}
