import { Router } from 'express';
import type { HealthController } from './health.controller';

export function healthRoutes(health: HealthController): Router {
  const routes = Router();
  routes.get('/healthz', health.getHealthz);
  routes.get('/readyz', health.getReadyz);
  return routes;
}
