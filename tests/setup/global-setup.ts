import path from 'node:path';
import { loadConfig } from '../../src/platform/config';
import { resolveDatabase, type ResolvedDatabase } from '../../src/platform/database/resolve';
import { createLogger } from '../../src/platform/logger';

const ENGINE_SOURCE: string = path.join(__dirname, '..', '..', 'packages', 'embedded-mongodb', 'src');

declare global {
  var __TEST_DATABASE__: ResolvedDatabase | undefined;
}

/**
 * Starts (or names) one database server for the whole run, the same way the shop resolves it:
 * MONGODB_URI when set, otherwise mongodb-memory-server or the embedded engine.
 * Each test file then works in a database of its own on that server (tests/helpers/database.ts).
 */
export default async function globalSetup(): Promise<void> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', EMBEDDED_DBPATH: 'memory' });
  const database = await resolveDatabase({
    mongodbUri: config.mongodbUri,
    mongoBackend: config.mongoBackend,
    dbName: 'test',
    logger: createLogger('info'),
    ttlMonitorSleepSecs: 1,
    // The engine's source, like the suites' own imports of it (jest.shop.js): no build needed. The
    // path is not a literal so that tsc type-checks it as the package (the engine has its own tsconfig).
    loadEngine: () => import(ENGINE_SOURCE) as Promise<typeof import('@session-shop/embedded-mongodb')>,
  });
  // Workers are child processes: the environment is how they learn where the server is.
  process.env.TEST_MONGODB_URI = database.uri;
  process.env.TEST_MONGO_BACKEND = database.backend;
  globalThis.__TEST_DATABASE__ = database;
}
