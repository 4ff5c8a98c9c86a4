import path from 'node:path';
import express, { type Express } from 'express';
import type { Config } from './config';
import type { Logger } from './logger';
import { createSessionMiddleware, sessionCookie } from './session/session-middleware';
import type { MongoSessionStore } from './session/mongo-session-store';
import { requestLogger } from './middleware/request-logger';
import { staticFiles } from './middleware/static-files';
import { securityHeaders } from './middleware/security-headers';
import { absoluteTimeout } from './middleware/absolute-timeout';
import { loadUser } from './middleware/load-user';
import { csrfProtection, provideCsrfTokenToShoppers } from './middleware/csrf';
import { showFlash } from './middleware/flash';
import { errorHandler } from './middleware/error-handler';
import { createAuthRateLimits } from './middleware/rate-limits';
import { createAuthController } from './controllers/auth';
import { createAccountController } from './controllers/account';
import { createShopController, PRODUCTS_PER_PAGE } from './controllers/shop';
import { createAdminController } from './controllers/admin';
import { getNotFound } from './controllers/errors';
import { shopRoutes } from './routes/shop';
import { adminRoutes } from './routes/admin';
import { authRoutes } from './routes/auth';
import { accountRoutes } from './routes/account';
import { healthRoutes } from './routes/health';
import { useViews } from './view-engine';
import { Catalog } from './services/catalog';

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
