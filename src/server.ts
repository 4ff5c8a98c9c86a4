import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import dotenv from 'dotenv';
import mongoose from 'mongoose';
import { ConfigError, loadConfig, type Config } from './platform/config';
import { createProcessLogger, flushOutput, printLine, type Logger } from './platform/logger';
import { resolveConfiguredDatabase, type ResolvedDatabase } from './platform/database/resolve';
import { waitForDatabase } from './platform/database/wait-for-database';
import { errorLine } from './platform/error-message';
import { DEMO_LOGIN, demoLoginWorks, seedDemoData } from './demo-data';
import { MongoSessionStore } from './sessions/mongo-session-store';
import { User } from './user.model';
import { secondFactorKeyProblem } from './accounts/two-factor/start-up-check';
import { Cart } from './cart/cart.service';
import { Housekeeping } from './cart/housekeeping';
import { accountDeletionHooks, productDeletionHooks } from './cart/hooks';
import { Catalog, PRODUCTS_PER_PAGE } from './catalog/catalog.service';
import { ProductImages } from './catalog/product-images.service';
import { ProductStock } from './catalog/stock';
import { OrderMail } from './cart/order-mail';
import { Mailer } from './platform/mailer';
import { systemClock } from './platform/clock';
import { createHttpServer } from './http/http-server';
import { isLoopbackAddress } from './http/middleware/loopback-only';

/** A photo's files this old that no product names were left by a process that stopped mid-save. */
const ORPHAN_PHOTO_AGE_MS = 60 * 60 * 1000;
import { createApp } from './app';

function readConfig(): Config {
  dotenv.config({ quiet: true });
  try {
    // The one hand-over of the environment: everything else receives the Config.
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = await createProcessLogger(config.logLevel, { isProduction: config.isProduction });
  if (config.isProduction && !config.mail.smtpUrl) {
    logger.warn('SMTP_URL is not set: mail is off, so password resets and email confirmations cannot be sent');
  }
  if (config.trustProxy === true) {
    logger.warn(
      'TRUST_PROXY=true believes the left-most X-Forwarded-For address, which any client writes itself: ' +
        "the per-address limits can be bypassed; set the proxies' addresses or their number instead",
    );
  }
  if (config.sessionSecretGenerated) {
    logger.warn('SESSION_SECRET is not set: using a generated secret (development keeps it in .data/session-secret)');
  }

  const database = await resolveConfiguredDatabase(config, logger);
  await waitForDatabase({
    uri: database.uri,
    timeoutMs: config.database.connectTimeoutMs,
    retries: config.database.connectRetries,
    retryDelayMs: config.database.connectRetryDelayMs,
    logger,
  });
  // The driver's default server selection timeout (30 s) would hold every request that long while
  // the database is away; this one turns an outage into a 503 page within a few seconds.
  const serverSelectionTimeoutMS = config.database.requestTimeoutMs;
  // With /metrics on, the driver reports each command's outcome: failures are counted.
  await mongoose.connect(database.uri, { serverSelectionTimeoutMS, monitorCommands: config.metrics !== undefined });
  // The drivers reconnect on their own; these lines tell the operator when the outage began and ended.
  const onConnectionLost = () => logger.warn('database connection lost: requests get the 503 page');
  mongoose.connection.on('disconnected', onConnectionLost);
  mongoose.connection.on('reconnected', () => logger.info('database connection back'));

  // An account with a second factor is never let in on its password alone: no key, no start.
  const keyProblem = await secondFactorKeyProblem(User, config.accountSecurity.totpKeys);
  if (keyProblem !== undefined) throw new Error(keyProblem);

  // Sessions go to the very database mongoose uses, whatever the URI names (or leaves to the default).
  const sessionStore = new MongoSessionStore({
    uri: database.uri,
    // mongoose's own pool, and the User read with each session in one command.
    database: mongoose.connection.getClient().db(mongoose.connection.name),
    usersCollection: User.collection.collectionName,
    idleTimeoutMs: config.session.idleTimeoutMs,
    touchIntervalMs: config.session.touchIntervalMs,
    connectionOptions: { serverSelectionTimeoutMS },
  });
  await sessionStore.ready();

  let showDemoLogin = false;
  if (config.seedDemoData) {
    await seedDemoData({ bcryptRounds: config.bcryptRounds, logger });
    // On every start, not only the first: `npm run dev` restarts on each change.
    showDemoLogin = await demoLoginWorks();
  }

  // What a crash left half-way (an order claimed and not settled, an account deleted and not cleaned
  // up after) is finished before serving, and again every lease: an order's shopper may never come
  // back to trigger it. A failure is logged, not fatal: the records stay for the next sweep. With a
  // catalog of its own, uncached: the app's hears of a removed seller within its cache time.
  const sweepCatalog = new Catalog({
    users: User,
    onProductsDeleted: productDeletionHooks(User),
    perPage: PRODUCTS_PER_PAGE,
    cacheMs: 0,
  });
  const orderMail = new OrderMail({
    mailer: new Mailer(config.mail, logger),
    publicUrl: config.publicUrl,
    users: User,
    logger,
  });
  const housekeeping = new Housekeeping({
    users: User,
    accountDeletionHooks: accountDeletionHooks(sweepCatalog, new Cart({ users: User, catalog: sweepCatalog })),
    stock: new ProductStock(systemClock),
    onOrdered: (order) => orderMail.ordered(order),
    pendingOrderLeaseMs: config.pendingOrderLeaseMs,
    now: systemClock,
    logger,
  });
  await housekeeping.sweep();
  housekeeping.start();

  // In the background: a start waits for nothing, and a failure costs only disk space until the next start.
  new ProductImages().removeOrphans(new Date(systemClock() - ORPHAN_PHOTO_AGE_MS)).then(
    (removed) => {
      if (removed > 0) logger.info({ removed }, 'orphaned product photo files deleted');
    },
    (error: unknown) => logger.warn({ err: error }, 'the sweep of orphaned product photo files failed'),
  );

  const app = createApp(config, { sessionStore, logger });
  const server = createHttpServer(app, config.http);
  if (!config.isProduction && config.host !== undefined && !isLoopbackAddress(config.host)) {
    logger.warn(`HOST=${config.host}: other machines can reach this development shop (not /dev/mail)`);
  }
  server.listen({ port: config.port, host: config.host }, () => {
    // The port actually bound: PORT=0 (a free port, as the load test asks) is resolved here.
    const url = `http://${shownHost(config.host)}:${(server.address() as AddressInfo).port}`;
    logger.info(`shop listening on ${url}`);
    // Outside production, also as plain lines that stand out among the JSON log lines.
    if (!config.isProduction) {
      // Through the logger's own writer: process.stdout blocks the process on a full pipe.
      printLine(`\nSession Shop: ${url}`);
      if (showDemoLogin) printLine(`Demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
      printLine('');
    }
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE')
      logger.fatal(`port ${config.port} is in use (EADDRINUSE): set PORT to a free port`);
    else if (error.code === 'EADDRNOTAVAIL')
      logger.fatal(`HOST ${config.host} is not an address of this machine (EADDRNOTAVAIL)`);
    else logger.fatal({ err: error }, 'the HTTP server failed');
    void flushOutput(LOG_FLUSH_MS).then(() => process.exit(1));
  });

  shutDownOnSignals({
    server,
    sessionStore,
    database,
    housekeeping,
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    onConnectionLost,
  });
}

/** The host of the URL printed at start-up: localhost when this machine's own address reaches the shop. */
function shownHost(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0' || host === '::' || isLoopbackAddress(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** How long the last log lines may take to reach the output at exit. */
const LOG_FLUSH_MS = 500;

function shutDownOnSignals(parts: {
  server: Server;
  sessionStore: MongoSessionStore;
  database: ResolvedDatabase;
  housekeeping: Housekeeping;
  logger: Logger;
  timeoutMs: number;
  /** Logs a lost connection: not one that the shutdown itself closes. */
  onConnectionLost: () => void;
}): void {
  const { server, sessionStore, database, housekeeping, logger, timeoutMs, onConnectionLost } = parts;
  let stopping = false;
  // close() waits for every connection, and a keep-alive connection stays open after its response
  // until its idle timeout. While stopping: a request still arriving on one is served with
  // `Connection: close`, and a connection whose response finished is closed at once.
  server.on('request', (_req, res: ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
    res.once('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
  });

  const shutDown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    // Armed before anything is logged: whatever the output does, the process ends in time.
    setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs} ms: exiting now`);
      process.exit(1);
    }, timeoutMs).unref();
    logger.info(`${signal}: shutting down`);

    try {
      // Stop accepting requests and let those in flight finish; idle keep-alive sockets would hold close() open.
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      server.closeIdleConnections();
      await closed;
      await housekeeping.stop();
      await sessionStore.close();
      mongoose.connection.off('disconnected', onConnectionLost);
      await mongoose.disconnect();
      await database.stop();
      logger.info('stopped');
      await flushOutput(LOG_FLUSH_MS);
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      await flushOutput(LOG_FLUSH_MS);
      process.exit(1);
    }
  };

  process.on('SIGINT', (signal) => void shutDown(signal));
  process.on('SIGTERM', (signal) => void shutDown(signal));
}

main().catch((error: unknown) => {
  // One line, for whoever reads the deployment's log: the messages name no password (see redactUri).
  console.error(`The shop could not start: ${errorLine(error)}`);
  process.exit(1);
});
