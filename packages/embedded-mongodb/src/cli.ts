#!/usr/bin/env node
/**
 * npm run db [-- --port 27017 --dbpath DIR --ttl-secs 60 --enable-test-commands]
 * The embedded engine on its own, so several shop processes (or a benchmark) can share one database.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { consoleLogger } from './logger';
import { startEmbeddedMongo } from './index';

function parse(): { port: number; dbPath?: string; ttlSecs?: number; testCommands: boolean } {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '27017' },
      dbpath: { type: 'string' },
      'ttl-secs': { type: 'string' },
      'enable-test-commands': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: npm run db -- [--port 27017] [--dbpath DIR] [--ttl-secs 60] [--enable-test-commands]');
    process.exit(0);
  }
  const port = Number(values.port);
  const ttlSecs = values['ttl-secs'] === undefined ? undefined : Number(values['ttl-secs']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0 to 65535 (got "${values.port}")`);
  if (ttlSecs !== undefined && !(ttlSecs > 0))
    throw new Error(`--ttl-secs must be a positive number (got "${values['ttl-secs']}")`);
  return {
    port,
    dbPath: values.dbpath ? path.resolve(values.dbpath) : undefined,
    ttlSecs,
    testCommands: values['enable-test-commands'] === true,
  };
}

async function main(): Promise<void> {
  const logger = consoleLogger('info');
  let options;
  try {
    options = parse();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const server = await startEmbeddedMongo({
    host: '127.0.0.1',
    port: options.port,
    dbPath: options.dbPath,
    ttlMonitorSleepSecs: options.ttlSecs,
    testCommands: options.testCommands,
    logger,
  });
  // Plain stdout lines: scripts (bench-db, the shop's bench) read the URI from here.
  console.log(`MONGODB_URI=${server.uri}/shop`);
  console.log(
    `embedded MongoDB-compatible engine listening on ${server.host}:${server.port}, ${options.dbPath ? `data in ${options.dbPath}` : 'data in memory'} (Ctrl+C stops it)`,
  );

  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'stopping the embedded engine');
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'failed to stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`npm run db: ${(error as Error).message}`);
  process.exit(1);
});
