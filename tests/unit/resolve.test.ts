import { MongoClient } from 'mongodb';
import { resolveDatabase } from '../../src/platform/database/resolve';
import pino from 'pino';
import { testServerUri } from '../helpers/database';

/** A real pino logger whose lines (their `msg`) are kept for the assertions. */
function capturingLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line).msg) });
  return { logger, lines };
}

test('MONGODB_URI is used as it is, and said so in one line', async () => {
  const { logger, lines } = capturingLogger();
  const resolved = await resolveDatabase({
    mongodbUri: 'mongodb://user:pw@db.example:27017/shop',
    dbName: 'shop',
    logger,
  });
  expect(resolved).toMatchObject({ uri: 'mongodb://user:pw@db.example:27017/shop', backend: 'uri' });
  expect(lines).toEqual([expect.stringContaining('mongodb://user:****@db.example:27017/shop')]);
});

test('MONGO_BACKEND=embedded starts the embedded engine, which answers over the wire', async () => {
  const { logger, lines } = capturingLogger();
  const resolved = await resolveDatabase({ mongoBackend: 'embedded', dbName: 'shop', logger });
  try {
    expect(resolved.backend).toBe('embedded');
    expect(resolved.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/shop$/);
    expect(lines).toEqual([expect.stringMatching(/embedded MongoDB-compatible engine.*set MONGODB_URI/)]);
    const client = await MongoClient.connect(resolved.uri);
    expect(await client.db().command({ ping: 1 })).toMatchObject({ ok: 1 });
    await client.close();
  } finally {
    await resolved.stop();
  }
});

test('MONGO_BACKEND=memory-server without a mongod binary fails with a clear message', async () => {
  // Where a binary exists (a cache, MONGOMS_SYSTEM_BINARY) this starts a real mongod instead.
  const { logger } = capturingLogger();
  const outcome = await resolveDatabase({
    mongoBackend: 'memory-server',
    dbName: 'shop',
    logger,
    memoryServerTimeoutMs: 3000,
  }).then(
    async (resolved) => {
      await resolved.stop();
      return 'started';
    },
    (error: Error) => error.message,
  );
  if (outcome !== 'started')
    expect(outcome).toMatch(/^MONGO_BACKEND=memory-server, but mongodb-memory-server could not start/);
});

test('the test run itself talks to a resolved server', () => {
  expect(testServerUri()).toMatch(/^mongodb(\+srv)?:\/\//);
});
