import { MINUTE_MS, type ConfigContext, type EnvReader } from './env';
import type { Config } from './types';

/**
 * Half a minute: far longer than placing an order takes, even while the database is slow (each of
 * its few steps gives up after DB_REQUEST_TIMEOUT_MS), and short enough that an order a crash
 * interrupted is completed soon after.
 */
export const DEFAULT_PENDING_ORDER_LEASE_MS = 30_000;

/**
 * What the shop's work may cost and how long its results last: the brute-force limits, the
 * product cache, the lease of an order being placed, photo decoding, the cost of a password hash.
 */
export function limitsSection(
  env: EnvReader,
  { nodeEnv }: ConfigContext,
): Pick<Config, 'rateLimit' | 'catalogCacheMs' | 'pendingOrderLeaseMs' | 'photoDecoding' | 'bcryptRounds'> {
  // Tests sign up and log in many shoppers from one address: their default is out of the way,
  // and the rate-limit tests set small limits of their own.
  const limitDefault = (value: number) => (nodeEnv === 'test' ? 1000 : value);
  const rateLimit = {
    login: {
      perIp: env.integer('LOGIN_RATE_LIMIT_PER_IP', limitDefault(50), 1, 100_000),
      perAccount: env.integer('LOGIN_RATE_LIMIT_PER_ACCOUNT', limitDefault(10), 1, 100_000),
      windowMs: env.integer('LOGIN_RATE_LIMIT_WINDOW_MINUTES', 15, 1, 60 * 24) * MINUTE_MS,
    },
    signup: {
      perIp: env.integer('SIGNUP_RATE_LIMIT_PER_IP', limitDefault(10), 1, 100_000),
      windowMs: env.integer('SIGNUP_RATE_LIMIT_WINDOW_MINUTES', 60, 1, 60 * 24) * MINUTE_MS,
    },
    reset: { perIp: limitDefault(20), perAccount: limitDefault(5), windowMs: 60 * MINUTE_MS },
    photos: { perShopper: limitDefault(30), windowMs: 60 * MINUTE_MS },
  };

  return {
    rateLimit,
    catalogCacheMs: env.integer('CATALOG_CACHE_MS', 1000, 0, 60_000),
    pendingOrderLeaseMs: env.integer('PENDING_ORDER_LEASE_MS', DEFAULT_PENDING_ORDER_LEASE_MS, 0, 60 * MINUTE_MS),
    photoDecoding: {
      concurrency: env.integer('PHOTO_DECODE_CONCURRENCY', 2, 1, 64),
      queue: env.integer('PHOTO_DECODE_QUEUE', 8, 0, 1000),
    },
    bcryptRounds: env.integer('BCRYPT_ROUNDS', nodeEnv === 'test' ? 4 : 12, 4, 15),
  };
}
