import express, { type Express } from 'express';
import mongoose from 'mongoose';
import type { Config } from './platform/config';
import type { Logger } from './platform/logger';
import { systemClock, type Clock } from './platform/clock';
import { requestLogger } from './http/middleware/request-logger';
import { compressWhenAsked } from './http/middleware/compress';
import { securityHeaders } from './http/middleware/security-headers';
import { staticFiles } from './http/middleware/static-files';
import { RATE_LIMITS_COLLECTION, RateLimitCounters, type RateLimitCounter } from './http/rate-limit-store';
import { PUBLIC_DIR } from './http/assets';
import { formBody } from './http/form-body';
import { inTurn } from './http/run-in-turn';
import { showFlash } from './http/middleware/show-flash';
import { processNameHeader } from './http/middleware/process-name';
import { errorHandler, notFoundHandler } from './http/middleware/error-handler';
import type { MongoSessionStore } from './sessions/mongo-session-store';
import { sessionCookie } from './sessions/session-cookie';
import { SecurityLog } from './sessions/security-log';
import { SessionReferences } from './sessions/session-references';
import { UserSessions } from './sessions/user-sessions';
import { Mailer } from './platform/mailer';
import { devMailRoutes } from './dev/dev-mail.routes';
import { sessionMiddleware } from './sessions/middleware/session';
import { absoluteTimeout } from './sessions/middleware/absolute-timeout';
import { createVisitorCsrf } from './sessions/csrf';
import { refusedFormWarning } from './sessions/insecure-request-warning';
import { createFormChecks, provideCsrfTokenToShoppers } from './sessions/middleware/csrf';
import { loadUser } from './accounts/middleware/load-user';
import { createAccountsArea } from './accounts/accounts-area';
import { Catalog, PRODUCTS_PER_PAGE } from './catalog/catalog.service';
import { createCatalogController } from './catalog/catalog.controller';
import { createAdminController } from './catalog/admin.controller';
import { catalogRoutes } from './catalog/catalog.routes';
import { adminRoutes } from './catalog/admin.routes';
import { ProductImages } from './catalog/product-images.service';
import { PhotoQueue } from './catalog/photo-queue';
import { createProductImagesController } from './catalog/product-images.controller';
import { productImageRoutes } from './catalog/product-images.routes';
import { photoUploadLimit } from './catalog/middleware/photo-limit';
import { Cart } from './cart/cart.service';
import { createCartController } from './cart/cart.controller';
import { cartRoutes } from './cart/cart.routes';
import { provideCartLocals } from './cart/middleware/cart-locals';
import { completePendingOrders } from './cart/middleware/complete-pending-orders';
import { accountDeletionHooks, productDeletionHooks, productHidingHooks } from './cart/hooks';
import { Orders } from './cart/orders.service';
import { OrderMail } from './cart/order-mail';
import { createSellerOrdersController } from './cart/seller-orders.controller';
import { sellerOrdersRoutes } from './cart/seller-orders.routes';
import { ProductStock } from './catalog/stock';
import { createShopAdminController } from './catalog/shop-admin.controller';
import { Admins } from './accounts/admins';
import { provideAdminLocals, requireAdmin } from './accounts/middleware/require-admin';
import { User } from './user.model';
import { accountGone } from './accounts/middleware/account-gone';
import { crashHook } from './platform/crash-points';
import { createHealthController } from './health/health.controller';
import { healthRoutes } from './health/health.routes';
import { ShopMetrics } from './metrics/metrics';
import { recordRequests } from './metrics/middleware/record-requests';
import { createMetricsController } from './metrics/metrics.controller';
import { metricsRoutes } from './metrics/metrics.routes';
import { useShopViews } from './shop-views';
import { webauthnBrowserModules } from './http/vendor-modules';

export interface AppConnections {
  /** Where sessions live: MongoDB, the same database as the data (it also finds a shopper's sessions). */
  sessionStore: MongoSessionStore;
  logger: Logger;
  /** The shop window's cache: by default `config.catalogCacheMs`, timed by lru-cache; tests give their time and clock. */
  catalogCache?: { cacheMs: number; now?: Clock };
  /** The time for the absolute timeout, the login time and the links in mail; tests pass a controllable one. */
  now?: Clock;
  /** Outgoing mail; by default one made from `config.mail`. */
  mailer?: Mailer;
  /** Where product photos wait to be decoded; by default one made from `config.photoDecoding`. */
  photoQueue?: PhotoQueue;
}

/**
 * The shop as an Express app, without listening: server.ts listens, tests use supertest.
 * Mongoose's default connection must be open (server.ts and the tests connect it).
 */
export function createApp(config: Config, connections: AppConnections): Express {
  const { sessionStore, logger } = connections;
  const now = connections.now ?? systemClock;
  const cookie = sessionCookie(config);
  const securityLog = new SecurityLog(logger, config.sessionSecrets[0]);
  const sessionReferences = new SessionReferences(config.sessionSecrets[0], 'devices');
  const mailer = connections.mailer ?? new Mailer(config.mail, logger);
  const userSessions = new UserSessions(sessionStore.database, now);
  const app = express();

  app.set('trust proxy', config.trustProxy);
  useShopViews(app, { cache: config.isProduction });

  sessionStore.on('error', (error: unknown) => logger.error({ err: error }, 'session store error'));

  // The services own the writes and their rules; the controllers translate HTTP to them. Each
  // area writes its own part of the User (src/user.model.ts); what one area does to another's
  // data goes through hooks the upper area provides (cart/hooks.ts).
  // Photos decoded at once, and waiting: what uploads may cost this process's memory.
  const photoQueue = connections.photoQueue ?? new PhotoQueue(config.photoDecoding);
  const images = new ProductImages({ queue: photoQueue });
  const admins = new Admins(config.adminEmails);
  const stock = new ProductStock(now);
  const orderMail = new OrderMail({ mailer, publicUrl: config.publicUrl, users: User, logger });
  const catalog = new Catalog({
    users: User,
    onProductsDeleted: productDeletionHooks(User),
    onProductsHidden: productHidingHooks(User),
    perPage: PRODUCTS_PER_PAGE,
    cacheMs: connections.catalogCache?.cacheMs ?? config.catalogCacheMs,
    now: connections.catalogCache?.now,
    images,
  });
  const crash = crashHook(config.testCrashAt);
  const cart = new Cart({
    users: User,
    catalog,
    now,
    crash,
    pendingOrderLeaseMs: config.pendingOrderLeaseMs,
    stock,
    onOrdered: (order) => orderMail.ordered(order),
  });
  // An order's life after it is placed: cancelling, shipping, delivering, the sellers' orders.
  const orders = new Orders({ users: User, stock, now, crash, mail: orderMail });
  // Mounted after the body parsers: the per-account limits read the email from the body. Counted
  // in the shop's database, beside the sessions: every process of the shop counts together.
  const counters = new RateLimitCounters({
    collection: sessionStore.database.collection<RateLimitCounter>(RATE_LIMITS_COLLECTION),
    now,
  });
  const sessions = sessionMiddleware(config, sessionStore, cookie);
  // Who shoppers are and how they prove it: accounts/accounts-area.ts puts the area together.
  const accountsArea = createAccountsArea({
    config,
    users: User,
    mailer,
    sessionStore,
    sessions,
    userSessions,
    sessionReferences,
    cookie,
    securityLog,
    counters,
    logger,
    now,
    crash,
    // A deleted account's products leave the shop; its orders stay, without the email.
    onAccountDeleted: accountDeletionHooks(catalog, cart),
  });

  const visitorCsrf = createVisitorCsrf({ secrets: config.sessionSecrets, isProduction: config.isProduction });
  const onRefused = refusedFormWarning({ isProduction: config.isProduction, trustProxy: config.trustProxy, logger });
  // Each area's router puts one of these on each of its forms (http/area-router.ts).
  const csrf = createFormChecks(visitorCsrf, { session: cookie.name, onRefused });

  app.disable('x-powered-by');
  if (config.processName !== undefined) app.use(processNameHeader(config.processName));
  if (config.metrics) {
    // Every response counts, probes and scrapes included.
    const metrics = new ShopMetrics({
      countActiveSessions: (at) => userSessions.countActive(at),
      now,
      // The session store's client is mongoose's in production (one pool); tests give it its own.
      databaseClients: [...new Set([sessionStore.database.client, mongoose.connection.getClient()])],
      logger,
    });
    app.use(recordRequests(metrics));
    metricsRoutes(app, { metrics: createMetricsController({ metrics, token: config.metrics.token }) });
  }
  // First: probes come every few seconds and need no log line, session or security headers.
  healthRoutes(app, { health: createHealthController({ pingTimeoutMs: config.database.requestTimeoutMs }) });
  // What every page gets, as one layer of the router: its log line, compression, security headers.
  app.use(inTurn(requestLogger(logger), compressWhenAsked(), securityHeaders({ isProduction: config.isProduction })));
  // Before the session: stylesheets, images and product photos cost no session lookup.
  productImageRoutes(app, { images: createProductImagesController({ images }) });
  app.use(staticFiles(PUBLIC_DIR));
  // @simplewebauthn/browser, the passkey pages' module, same-origin (the CSP's script-src 'self').
  app.use(webauthnBrowserModules());

  app.use(
    sessions.whenCookieSent(
      absoluteTimeout({ cookie, timeoutMs: config.session.absoluteTimeoutMs, now, securityLog }),
      loadUser({ users: User, cookie, sessionStore, securityLog }),
      completePendingOrders(cart, logger),
      provideCartLocals,
      provideAdminLocals(admins),
      provideCsrfTokenToShoppers,
    ),
  );
  app.use(showFlash(config.sessionSecrets));

  // The areas: each router mounts itself at its path and checks its own forms.
  catalogRoutes(app, { catalog: createCatalogController({ catalog }) });
  cartRoutes(app, { cart: createCartController({ cart, orders, admins, securityLog }), csrf });
  // The login and signup pages' "Log in with <label>" button, when OIDC_* are set.
  if (accountsArea.openIdLabel !== undefined) app.locals.openIdLabel = accountsArea.openIdLabel;
  accountsArea.mount(app, csrf);
  // Development only: what the shop would have mailed (never mounted in production).
  if (!config.isProduction && mailer.kind === 'mailbox') devMailRoutes(app, { mailer });
  adminRoutes(app, {
    admin: createAdminController({ catalog, unitsSold: (productIds) => orders.unitsSold(productIds) }),
    csrf,
    photoLimit: photoUploadLimit(config, { counters, logger }),
    photoQueue,
    shopAdmin: { controller: createShopAdminController({ catalog, securityLog }), requireAdmin: requireAdmin(admins) },
  });
  sellerOrdersRoutes(app, { orders: createSellerOrdersController({ orders, admins, securityLog }), csrf });

  // A request with a body that no route took: 403 without the session's token, else the 404 page.
  app.use(...formBody, csrf.unmatched);
  app.use(notFoundHandler);
  // A request whose account was deleted meanwhile (another device): its session is over.
  app.use(accountGone({ cookie, securityLog }));
  app.use(errorHandler({ logger, showDetails: !config.isProduction }));
  return app;
}
