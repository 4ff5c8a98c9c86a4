import { areaRouter, type Parent } from '../http/area-router';
import type { HealthController } from './health.controller';

/** For load balancers: open to everyone, mounted first (a probe needs no log line, session or headers). */
export function healthRoutes(app: Parent, { health }: { health: HealthController }): void {
  const routes = areaRouter(app, '/');
  routes.get('/healthz', health.getHealthz);
  routes.get('/readyz', health.getReadyz);
}
