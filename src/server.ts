import type { Server } from 'node:http';
import dotenv from 'dotenv';
import mongoose from 'mongoose';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger, type Logger } from './logger';
import { resolveConfiguredDatabase, type ResolvedDatabase } from './db/resolve';
import { DEMO_LOGIN, seedDemoData } from './db/seed';
import { MongoSessionStore } from './session/mongo-session-store';
import { createApp } from './app';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

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
  const logger = createLogger(config.logLevel);
  if (config.sessionSecretGenerated) {
    logger.warn('SESSION_SECRET is not set: using a random secret, so sessions end when the server restarts');
  }

  const database = await resolveConfiguredDatabase(config, logger);
  await mongoose.connect(database.uri);

  // Sessions go to the very database mongoose uses, whatever the URI names (or leaves to the default).
  const sessionStore = new MongoSessionStore({
    uri: database.uri,
    databaseName: mongoose.connection.name,
    idleTimeoutMs: config.session.idleTimeoutMs,
    touchIntervalMs: config.session.touchIntervalMs,
  });
  await sessionStore.ready();

  if (config.seedDemoData && (await seedDemoData({ bcryptRounds: config.bcryptRounds, logger }))) {
    console.log(`Demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
  }

  const app = createApp(config, { sessionStore, logger });
  const server = app.listen(config.port, () => {
    logger.info(`shop listening on http://localhost:${config.port}`);
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'the HTTP server failed');
    process.exit(1);
  });

  shutDownOnSignals({ server, sessionStore, database, logger });
}

function shutDownOnSignals(parts: {
  server: Server;
  sessionStore: MongoSessionStore;
  database: ResolvedDatabase;
  logger: Logger;
}): void {
  const { server, sessionStore, database, logger } = parts;
  let stopping = false;

  const shutDown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: shutting down`);
    setTimeout(() => {
      logger.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms: exiting now`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();

    try {
      // Stop accepting requests and let those in flight finish; idle keep-alive sockets would hold close() open.
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeIdleConnections();
      await closed;
      await sessionStore.close();
      await mongoose.disconnect();
      await database.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };

  process.on('SIGINT', (signal) => void shutDown(signal));
  process.on('SIGTERM', (signal) => void shutDown(signal));
}

main().catch((error: unknown) => {
  console.error('The shop could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
