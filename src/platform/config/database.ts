import path from 'node:path';
import type { ConfigContext, EnvReader } from './env';
import type { Config, MongoBackend } from './types';

/** Which database, and how the shop waits for it: at start-up, and on every request while running. */
export function databaseSection(
  env: EnvReader,
  { nodeEnv, isProduction, dataDir }: ConfigContext,
): Pick<Config, 'mongodbUri' | 'mongoBackend' | 'embeddedDbPath' | 'memoryServerDbPath' | 'database'> {
  const mongodbUri = env.text('MONGODB_URI');
  if (mongodbUri !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    env.problem('MONGODB_URI must start with mongodb:// or mongodb+srv://');
  }

  const rawBackend = env.text('MONGO_BACKEND');
  let mongoBackend: MongoBackend | undefined;
  if (rawBackend === 'memory-server' || rawBackend === 'embedded') mongoBackend = rawBackend;
  else if (rawBackend !== undefined) {
    env.problem(`MONGO_BACKEND must be memory-server or embedded (got "${rawBackend}")`);
  }

  if (isProduction && mongodbUri === undefined) {
    env.problem(
      'MONGODB_URI is required when NODE_ENV=production: the embedded engine is for development and tests, ' +
        'and orders and accounts kept there would not be safe (e.g. MONGODB_URI=mongodb://db.example:27017/shop)',
    );
  }

  const rawDbPath = env.text('EMBEDDED_DBPATH');
  let embeddedDbPath: string | undefined;
  let memoryServerDbPath: string | undefined;
  if (rawDbPath === 'memory') embeddedDbPath = undefined;
  else if (rawDbPath !== undefined) embeddedDbPath = path.resolve(rawDbPath);
  else if (nodeEnv === 'development') {
    embeddedDbPath = path.join(dataDir, 'embedded');
    memoryServerDbPath = path.join(dataDir, 'mongod');
  }

  const database = {
    connectTimeoutMs: env.integer('DB_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    connectRetries: env.integer('DB_CONNECT_RETRIES', 0, 0, 100),
    connectRetryDelayMs: env.integer('DB_CONNECT_RETRY_DELAY_MS', 1000, 0, 60_000),
    requestTimeoutMs: env.integer('DB_REQUEST_TIMEOUT_MS', 5000, 100, 120_000),
  };
  return { mongodbUri, mongoBackend, embeddedDbPath, memoryServerDbPath, database };
}

/** Hides the password of a connection string, for log lines and error messages. */
export function redactUri(uri: string): string {
  return uri.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1****@');
}
