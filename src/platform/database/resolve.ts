import fs from 'node:fs';
import type { Logger } from '../logger';
import { errorLine } from '../error-message';
import { redactUri, type Config, type MongoBackend } from '../config';

/**
 * Decides which database the shop, the scripts and the tests talk to:
 *  1. MONGODB_URI, as it is (a real MongoDB, a replica set, Atlas);
 *  2. otherwise mongodb-memory-server (a real mongod) when it can get a binary quickly;
 *  3. otherwise the embedded MongoDB-compatible engine (packages/embedded-mongodb, a development dependency).
 * MONGO_BACKEND forces 2 or 3. Exactly one log line says which one is in use.
 */
export type Backend = 'uri' | MongoBackend;

export interface ResolvedDatabase {
  /** A connection string that names the database. */
  uri: string;
  backend: Backend;
  /** Stops the server this module started (nothing for MONGODB_URI). */
  stop(): Promise<void>;
}

export interface ResolveOptions {
  mongodbUri?: string;
  mongoBackend?: MongoBackend;
  /** The embedded engine's data directory; unset keeps the data in memory. */
  dbPath?: string;
  /** mongodb-memory-server's data directory (a mongod's files, never the engine's); unset: in memory. */
  memoryServerDbPath?: string;
  /** Production never starts a database of its own: it must be told where the real one is. */
  production?: boolean;
  dbName: string;
  logger: Logger;
  /** How long mongodb-memory-server may take to obtain and start a mongod before we fall back. */
  memoryServerTimeoutMs?: number;
  /** How often a started server removes expired documents (TTL indexes), in seconds. */
  ttlMonitorSleepSecs?: number;
  /**
   * Loads the embedded engine; by default its package (its compiled `dist/`, built at install).
   * The test setup loads its source instead, so that a change to the engine is tested without a build.
   */
  loadEngine?: () => Promise<typeof import('@session-shop/embedded-mongodb')>;
}

/** The database the shop's configuration names: what the server and the scripts use. */
export function resolveConfiguredDatabase(config: Config, logger: Logger): Promise<ResolvedDatabase> {
  return resolveDatabase({
    mongodbUri: config.mongodbUri,
    mongoBackend: config.mongoBackend,
    dbPath: config.embeddedDbPath,
    memoryServerDbPath: config.memoryServerDbPath,
    production: config.isProduction,
    dbName: config.dbName,
    logger,
  });
}

const HOW_TO_USE_A_REAL_SERVER = 'set MONGODB_URI to use a real MongoDB';

export async function resolveDatabase(options: ResolveOptions): Promise<ResolvedDatabase> {
  const { logger } = options;

  if (options.mongodbUri) {
    logger.info({ backend: 'uri' }, `database: MongoDB at ${redactUri(options.mongodbUri)} (from MONGODB_URI)`);
    return { uri: options.mongodbUri, backend: 'uri', stop: async () => {} };
  }
  if (options.production) {
    throw new Error('MONGODB_URI is required in production: the embedded default is for development and tests');
  }

  let memoryServerFailure: string | undefined;
  if (options.mongoBackend !== 'embedded') {
    try {
      const started = await startMemoryServer(options);
      logger.info(
        { backend: 'memory-server' },
        `database: mongodb-memory-server at ${started.uri} (${HOW_TO_USE_A_REAL_SERVER})`,
      );
      return started;
    } catch (error) {
      if (options.mongoBackend === 'memory-server') {
        throw new Error(`MONGO_BACKEND=memory-server, but mongodb-memory-server could not start: ${errorLine(error)}`, {
          cause: error,
        });
      }
      memoryServerFailure = errorLine(error);
    }
  }

  const started = await startEmbedded(options);
  const why = memoryServerFailure ? `; mongodb-memory-server unavailable: ${memoryServerFailure}` : '';
  const where = options.dbPath ? `data in ${options.dbPath}` : 'data in memory';
  logger.info(
    { backend: 'embedded' },
    `database: embedded MongoDB-compatible engine at ${started.uri}, ${where} (${HOW_TO_USE_A_REAL_SERVER}${why})`,
  );
  return started;
}

async function startEmbedded(options: ResolveOptions): Promise<ResolvedDatabase> {
  // Loaded lazily, and a development dependency: production builds neither load nor install it.
  const { startEmbeddedMongo } = await (options.loadEngine ?? (() => import('@session-shop/embedded-mongodb')))();
  const server = await startEmbeddedMongo({
    host: '127.0.0.1',
    port: 0,
    dbPath: options.dbPath,
    ttlMonitorSleepSecs: options.ttlMonitorSleepSecs,
    logger: options.logger.child({ component: 'embedded-mongo' }),
  });
  return {
    uri: `mongodb://127.0.0.1:${server.port}/${options.dbName}`,
    backend: 'embedded',
    stop: () => server.stop(),
  };
}

async function startMemoryServer(options: ResolveOptions): Promise<ResolvedDatabase> {
  // Loaded lazily: production with MONGODB_URI never needs it.
  const { MongoBinary, MongoMemoryServer } = await import('mongodb-memory-server-core');
  const timeoutMs = options.memoryServerTimeoutMs ?? 5000;
  // Obtaining the binary first (MONGOMS_SYSTEM_BINARY, the cache, or a download) fails quietly
  // when offline; package.json's config.mongodbMemoryServer.maxRetries keeps that failure fast.
  if (options.memoryServerDbPath) fs.mkdirSync(options.memoryServerDbPath, { recursive: true });
  const binaryPath = await withTimeout(MongoBinary.getPath(), timeoutMs, `no mongod binary within ${timeoutMs} ms`);
  const server = await MongoMemoryServer.create({
    binary: { systemBinary: binaryPath },
    instance: {
      dbName: options.dbName,
      ip: '127.0.0.1',
      ...(options.memoryServerDbPath
        ? { dbPath: options.memoryServerDbPath, storageEngine: 'wiredTiger' as const }
        : {}),
      ...(options.ttlMonitorSleepSecs
        ? { args: ['--setParameter', `ttlMonitorSleepSecs=${options.ttlMonitorSleepSecs}`] }
        : {}),
    },
  });
  return {
    uri: server.getUri(options.dbName),
    backend: 'memory-server',
    stop: async () => {
      await server.stop();
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
