import { MongoClient } from 'mongodb';
import { redactUri } from '../config';
import type { Logger } from '../logger';
import { errorLine } from '../error-message';

export interface WaitForDatabaseOptions {
  uri: string;
  /** How long one attempt may take (the driver's server selection timeout). */
  timeoutMs: number;
  /** Further attempts after the first fails. */
  retries: number;
  /** The pause before the first retry; each further pause doubles, up to MAX_RETRY_DELAY_MS. */
  retryDelayMs: number;
  logger: Logger;
}

export const MAX_RETRY_DELAY_MS = 30_000;

/** The start-up's one-line answer when the database never answered. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

/**
 * Waits until the database answers a ping, trying `1 + retries` times with a growing pause in
 * between, each attempt bounded by `timeoutMs`. Without it the driver would wait 30 s before
 * failing, and mongoose would then keep the process alive, retrying forever, silently.
 * A throwaway client: the shop's own connections are opened once this succeeded, with the
 * shorter timeouts that requests need.
 */
export async function waitForDatabase(options: WaitForDatabaseOptions): Promise<void> {
  const where = redactUri(options.uri);
  const attempts = options.retries + 1;
  let delayMs = options.retryDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await ping(options.uri, options.timeoutMs);
      if (attempt > 1) options.logger.info(`database at ${where} answered on attempt ${attempt}`);
      return;
    } catch (error) {
      const reason = errorLine(error);
      if (attempt >= attempts) {
        const tries = attempts === 1 ? '' : ` (${attempts} attempts)`;
        throw new DatabaseUnreachableError(
          `no answer from the database at ${where} within ${options.timeoutMs} ms${tries}: ${reason}`,
        );
      }
      options.logger.warn(
        `database at ${where} did not answer (attempt ${attempt} of ${attempts}: ${reason}); next attempt in ${delayMs} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }
}

async function ping(uri: string, timeoutMs: number): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db().command({ ping: 1 });
  } finally {
    await client.close().catch(() => {});
  }
}
