import path from 'node:path';
import { readAccountSecurity } from './config/account-security';
import { adminEmailsOf } from './config/admins';
import { CRASH_POINTS, isCrashPoint, type CrashPoint } from './crash-points';
import { databaseSection } from './config/database';
import { ConfigError, EnvReader, type ConfigContext, type Env } from './config/env';
import { limitsSection } from './config/limits';
import { mailSection } from './config/mail';
import { processNameOf, serverSection, trustProxyOf } from './config/server';
import { sessionSection } from './config/sessions';
import type { Config, NodeEnv } from './config/types';

/*
 * The shop's whole configuration, read from the environment once at start-up (the public face:
 * each section's reading and its rules are in config/). Nothing else in the code base reads
 * `process.env`: everything is passed down from here, so tests can build any configuration they
 * need with `loadConfig({...})`.
 */
export type { Config, MongoBackend, NodeEnv } from './config/types';
export { ConfigError } from './config/env';
export { redactUri } from './config/database';
export { DEFAULT_PENDING_ORDER_LEASE_MS } from './config/limits';

const DATA_DIR = path.join(__dirname, '..', '..', '.data');

export interface LoadOptions {
  /** Where development keeps what it generates (the session secret, the embedded data): `.data/`. */
  dataDir?: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the configuration; throws one ConfigError listing every bad value. */
export function loadConfig(variables: Env, { dataDir = DATA_DIR }: LoadOptions = {}): Config {
  const env = new EnvReader(variables);

  const rawEnv = env.text('NODE_ENV') ?? 'development';
  let nodeEnv: NodeEnv = 'development';
  if (rawEnv === 'development' || rawEnv === 'production' || rawEnv === 'test') nodeEnv = rawEnv;
  else env.problem(`NODE_ENV must be development, production or test (got "${rawEnv}")`);
  const context: ConfigContext = { nodeEnv, isProduction: nodeEnv === 'production', dataDir };

  // In this order, so that the problems are listed in it.
  const server = serverSection(env, context);
  const database = databaseSection(env, context);
  const sessions = sessionSection(env, context);
  const trustProxy = trustProxyOf(env);
  const limits = limitsSection(env, context);

  const logLevel = env.text('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info');
  if (!LOG_LEVELS.includes(logLevel))
    env.problem(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);

  const rawSeed = env.text('SEED_DEMO_DATA');
  if (rawSeed !== undefined && rawSeed !== 'true' && rawSeed !== 'false') {
    env.problem(`SEED_DEMO_DATA must be true or false (got "${rawSeed}")`);
  }
  const seedDemoData =
    rawSeed === undefined ? database.mongodbUri === undefined && nodeEnv === 'development' : rawSeed === 'true';

  const shutdownTimeoutMs = env.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000);

  const metricsToken = env.text('METRICS_TOKEN');
  if (metricsToken !== undefined && !/^[\x21-\x7e]{32,}$/.test(metricsToken)) {
    // Not echoed: it is a secret, even when a bad one.
    env.problem(
      `METRICS_TOKEN must be at least 32 visible ASCII characters without spaces (got ${metricsToken.length} characters); ` +
        `generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
    );
  }

  const mail = mailSection(env, context, server.port);
  const processName = processNameOf(env);

  const rawCrashAt = env.text('SHOP_TEST_CRASH_AT');
  let testCrashAt: CrashPoint | undefined;
  if (rawCrashAt !== undefined) {
    if (nodeEnv !== 'test') env.problem('SHOP_TEST_CRASH_AT is a test hook: it is only accepted with NODE_ENV=test');
    else if (isCrashPoint(rawCrashAt)) testCrashAt = rawCrashAt;
    else env.problem(`SHOP_TEST_CRASH_AT must be one of ${CRASH_POINTS.join(', ')} (got "${rawCrashAt}")`);
  }

  const accountSecurity = readAccountSecurity(
    (key) => env.text(key),
    { nodeEnv, dataDir, publicUrl: mail.publicUrl },
    env.problems,
  );

  const adminEmails = adminEmailsOf(env);

  if (env.problems.length > 0) throw new ConfigError(env.problems);

  return {
    env: nodeEnv,
    isProduction: context.isProduction,
    ...server,
    ...database,
    dbName: 'shop',
    ...sessions,
    trustProxy,
    ...limits,
    logLevel,
    seedDemoData,
    shutdownTimeoutMs,
    metrics: metricsToken === undefined ? undefined : { token: metricsToken },
    ...mail,
    processName,
    testCrashAt,
    accountSecurity,
    adminEmails,
  };
}
