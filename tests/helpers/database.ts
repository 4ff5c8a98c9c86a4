import crypto from 'node:crypto';
import { MongoClient } from 'mongodb';

/** The server the global setup started or named (see tests/setup/global-setup.ts). */
export function testServerUri(): string {
  const uri = process.env.TEST_MONGODB_URI;
  if (!uri) throw new Error('TEST_MONGODB_URI is unset: run the tests through jest (npm test)');
  return uri;
}

export function testBackend(): string {
  return process.env.TEST_MONGO_BACKEND ?? 'unknown';
}

/** A fresh database name, so that test files running in parallel never see each other's data. */
export function uniqueDbName(label: string): string {
  return `t_${label.replace(/\W+/g, '_').slice(0, 30)}_${crypto.randomBytes(4).toString('hex')}`;
}

/** Drops a test database; with a real MongoDB this keeps the server clean between runs. */
export async function dropDatabase(dbName: string): Promise<void> {
  const client = await MongoClient.connect(testServerUri());
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}
