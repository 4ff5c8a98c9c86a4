import mongoose from 'mongoose';
import { DatabaseUnavailableError } from './unavailable';

/**
 * Resolves when the shop's database answers a ping within `timeoutMs`; rejects otherwise.
 * It always asks, even while mongoose believes it is disconnected: a pending operation is what
 * makes the driver look for the server at once, so a returning database is noticed quickly.
 */
export async function pingDatabase(timeoutMs: number): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new DatabaseUnavailableError('mongoose has never connected');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DatabaseUnavailableError(`no answer to a ping within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([db.command({ ping: 1 }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
