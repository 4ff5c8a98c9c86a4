import { Router } from 'express';
import { getHealthz, getReadyz } from './health.controller';

export function healthRoutes(options: { pingTimeoutMs: number }): Router {
  const routes = Router();
  routes.get('/healthz', getHealthz);
  routes.get('/readyz', getReadyz(options.pingTimeoutMs));
  return routes;
}
