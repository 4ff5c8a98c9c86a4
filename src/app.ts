import path from 'node:path';
import express, { type Express } from 'express';
import type { Config } from './platform/config';
import type { Logger } from './platform/logger';
import { createSessionMiddleware, sessionCookie } from './sessions/session-middleware';
import type { MongoSessionStore } from './sessions/mongo-session-store';
import { requestLogger } from './http/middleware/request-logger';
import { staticFiles } from './http/middleware/static-files';
import { securityHeaders } from './http/middleware/security-headers';
import { absoluteTimeout } from './sessions/absolute-timeout';
import { loadUser } from './accounts/load-user';
import { csrfProtection, provideCsrfTokenToShoppers } from './sessions/csrf';
import { showFlash } from './http/flash';
import { errorHandler } from './http/middleware/error-handler';
import { createAuthRateLimits } from './accounts/rate-limits';
import { createAuthController } from './accounts/auth.controller';
import { createAccountController } from './accounts/account.controller';
import { createShopController, PRODUCTS_PER_PAGE } from './catalog/shop.controller';
import { createAdminController } from './catalog/admin.controller';
import { getNotFound } from './http/error-pages';
import { shopRoutes } from './catalog/shop.routes';
import { adminRoutes } from './catalog/admin.routes';
import { authRoutes } from './accounts/auth.routes';
import { accountRoutes } from './accounts/account.routes';
import { healthRoutes } from './health/health.routes';
import { useViews } from './http/view-engine';
import { Catalog } from './catalog/catalog.service';

export interface AppConnections {
  /** Where sessions live: MongoDB, the same database as the data (it also finds a shopper's sessions). */
  sessionStore: MongoSessionStore;
  logger: Logger;
  /** The shop window's cache; by default one of its own per app, kept `config.catalogCacheMs`. */
  catalog?: Catalog;
}

const ROOT = path.join(__dirname, '..');
const BODY_LIMIT = '10kb';

/**
 * The shop as an Express app, without listening: server.ts listens, tests use supertest.
 * Mongoose's default connection must be open (server.ts and the tests connect it).
 */
export function createApp(config: Config, connections: AppConnections): Express {
  const { sessionStore, logger } = connections;
  const app = express();
  const cookie = sessionCookie(config);

  app.set('trust proxy', config.trustProxy);
  useViews(app, { cache: config.isProduction });
  // Defaults for what middleware sets per request (res.locals), so that every view can rely on them.
  Object.assign(app.locals, { isAuthenticated: false, currentUser: undefined, csrfToken: '', flash: [] });

  sessionStore.on('error', (error: unknown) => logger.error({ err: error }, 'session store error'));

  // First: probes come every few seconds and need no log line, session or security headers.
  app.disable('x-powered-by');
  app.use(healthRoutes({ pingTimeoutMs: config.database.requestTimeoutMs }));
  app.use(requestLogger(logger));
  app.use(securityHeaders({ isProduction: config.isProduction }));
  // Before the session: stylesheets and images cost no session lookup.
  app.use(staticFiles(path.join(ROOT, 'public')));

  app.use(createSessionMiddleware(config, sessionStore));
  app.use(absoluteTimeout(cookie, config.session.absoluteTimeoutMs));
  app.use(loadUser(cookie));
  app.use(provideCsrfTokenToShoppers);
  app.use(showFlash);
  // No nested objects from forms (extended: false); small limits: the shop's forms are small.
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT }));
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(csrfProtection);

  // The admin pages tell it of their changes, the shop pages read through it.
  const catalog = connections.catalog ?? new Catalog({ perPage: PRODUCTS_PER_PAGE, cacheMs: config.catalogCacheMs });
  app.use(shopRoutes(createShopController({ catalog })));
  // After the body parsers: the per-account limit reads the email from the body.
  const rateLimits = createAuthRateLimits(config);
  app.use(authRoutes(createAuthController({ bcryptRounds: config.bcryptRounds, cookie }), rateLimits));
  app.use(
    '/account',
    accountRoutes(createAccountController({ bcryptRounds: config.bcryptRounds, sessionStore }), rateLimits),
  );
  app.use('/admin', adminRoutes(createAdminController({ catalog })));

  app.use(getNotFound);
  app.use(errorHandler({ logger, showDetails: !config.isProduction }));
  return app;
}
