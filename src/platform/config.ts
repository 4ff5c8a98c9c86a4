import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CRASH_POINTS, isCrashPoint, type CrashPoint } from './crash-points';

/**
 * The shop's whole configuration, read from the environment once at start-up.
 * Nothing else in the code base reads `process.env`: everything is passed down from here,
 * so tests can build any configuration they need with `loadConfig({...})`.
 */
export type NodeEnv = 'development' | 'production' | 'test';
export type MongoBackend = 'memory-server' | 'embedded';

export interface Config {
  env: NodeEnv;
  isProduction: boolean;
  port: number;
  /**
   * The address the server listens on (`HOST`): 127.0.0.1 outside production, so that `npm run dev`
   * (its development mailbox shows every reset link) is not open to the LAN; undefined, every
   * interface, in production.
   */
  host?: string;
  /**
   * The HTTP server's own bounds on slow clients, for when no proxy stands in front
   * (src/http/http-server.ts).
   */
  http: {
    /** The whole header block must arrive within this, from its first byte. */
    headersTimeoutMs: number;
    /** The whole request, headers and body, must arrive within this. */
    requestTimeoutMs: number;
    /** An idle keep-alive connection is closed after this: above the proxy's own (nginx: 4 s). */
    keepAliveTimeoutMs: number;
  };
  /** A real MongoDB; when unset the embedded default is started (see src/platform/database/resolve.ts). */
  mongodbUri?: string;
  /** Forces the embedded default's kind; unset tries memory-server, then the embedded engine. */
  mongoBackend?: MongoBackend;
  /** Where the embedded engine keeps its files; unset keeps the data in memory only. */
  embeddedDbPath?: string;
  /** Where mongodb-memory-server's mongod keeps its files: never the engine's folder (their formats differ). */
  memoryServerDbPath?: string;
  /** Database name used when the embedded default is started. */
  dbName: string;
  /** The first secret signs session cookies, all of them verify (rotation). */
  sessionSecrets: string[];
  /** True when no SESSION_SECRET was given and a random one was generated. */
  sessionSecretGenerated: boolean;
  /** Express's `trust proxy` setting: false, true, a hop count or a list of addresses. */
  trustProxy: boolean | number | string;
  session: {
    /** Idle timeout: the session ends after this long without a request. */
    idleTimeoutMs: number;
    /** The store writes the extended expiry at most this often (throttled touch). */
    touchIntervalMs: number;
    /** Absolute timeout: a login lasts at most this long, however active the shopper is. */
    absoluteTimeoutMs: number;
  };
  /** Brute-force limits on the login and signup forms (see src/accounts/rate-limits.ts). */
  rateLimit: {
    login: {
      /** Login attempts, successful or not, from one address per window. */
      perIp: number;
      /** Failed logins for one email address per window. */
      perAccount: number;
      windowMs: number;
    };
    signup: {
      /** Signups from one address per window. */
      perIp: number;
      windowMs: number;
    };
    /** Password reset requests (and confirmation links sent again). */
    reset: {
      /** Requests from one address per window. */
      perIp: number;
      /** Requests for one account per window: each mails its owner. */
      perAccount: number;
      windowMs: number;
    };
    /** Product forms sent with a photo (multipart): each costs a decode and three encodes. */
    photos: {
      /** Such forms from one shopper per window. */
      perShopper: number;
      windowMs: number;
    };
  };
  /** How long a product page or product may be served from memory (0: never); see services/catalog.ts. */
  catalogCacheMs: number;
  /**
   * How long an order being placed belongs to the request placing it (PENDING_ORDER_LEASE_MS):
   * only once this long has passed since the shopper ordered may another request, or another
   * process's sweep, take it for one a crash interrupted and complete it (cart/cart.service.ts).
   */
  pendingOrderLeaseMs: number;
  /**
   * Product photos decoded at once by this process, and how many more may wait their turn: each
   * decode of a large photo costs tens of megabytes; past the queue an upload is answered 503.
   */
  photoDecoding: { concurrency: number; queue: number };
  bcryptRounds: number;
  logLevel: string;
  /** Fill an empty database with demo products and a demo shopper at start-up. */
  seedDemoData: boolean;
  /** How the shop waits for its database: at start-up, and on every request while running. */
  database: {
    /** At start-up: how long one attempt to reach the database may take. */
    connectTimeoutMs: number;
    /** At start-up: further attempts after the first fails (0: give up at once). */
    connectRetries: number;
    /** The pause before the first retry; each further pause doubles (at most 30 s). */
    connectRetryDelayMs: number;
    /** While running: how long an operation waits for an unreachable database before the 503 page. */
    requestTimeoutMs: number;
  };
  /** SIGTERM/SIGINT: how long in-flight requests may take to finish before the process exits anyway. */
  shutdownTimeoutMs: number;
  /**
   * `GET /metrics` (Prometheus): only with `METRICS_TOKEN`, which a scraper sends as
   * `Authorization: Bearer <token>`; without it the route does not exist (404).
   */
  metrics?: { token: string };
  /**
   * The shop's own address as shoppers reach it (`PUBLIC_URL`), for the links in mail: never the
   * request's Host header, which anyone can set.
   */
  publicUrl: string;
  /**
   * This process's name among several behind a load balancer (`SHOP_PROCESS_NAME`): sent in an
   * `X-Shop-Process` header so that a test or an operator sees which process answered. Unset: no header.
   */
  processName?: string;
  mail: {
    /** `smtp://user:pass@host:port` (or `smtps://`): mail goes out there. */
    smtpUrl?: string;
    /** Without `smtpUrl`, outside production: the development mailbox, messages kept in this folder. */
    mailboxDir?: string;
    /** The sender of every message. */
    from: string;
  };
  /** Tests only (SHOP_TEST_CRASH_AT, NODE_ENV=test): the step of an order at which the process kills itself. */
  testCrashAt?: CrashPoint;
  /**
   * `ADMIN_EMAILS`: the addresses (lower case) whose accounts act for the shop as a whole, once the
   * address is confirmed (accounts/admins.ts). Empty: no admin.
   */
  adminEmails: string[];
}

/**
 * Half a minute: far longer than placing an order takes, even while the database is slow (each of
 * its few steps gives up after DB_REQUEST_TIMEOUT_MS), and short enough that an order a crash
 * interrupted is completed soon after.
 */
export const DEFAULT_PENDING_ORDER_LEASE_MS = 30_000;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DATA_DIR = path.join(__dirname, '..', '..', '.data');

export interface LoadOptions {
  /** Where development keeps what it generates (the session secret, the embedded data): `.data/`. */
  dataDir?: string;
}

/** Reads and validates the configuration; throws one ConfigError listing every bad value. */
export function loadConfig(env: Env, { dataDir = DATA_DIR }: LoadOptions = {}): Config {
  const problems: string[] = [];
  const read = (key: string): string | undefined => {
    const value = env[key]?.trim();
    return value === '' ? undefined : value;
  };

  const rawEnv = read('NODE_ENV') ?? 'development';
  let nodeEnv: NodeEnv = 'development';
  if (rawEnv === 'development' || rawEnv === 'production' || rawEnv === 'test') nodeEnv = rawEnv;
  else problems.push(`NODE_ENV must be development, production or test (got "${rawEnv}")`);
  const isProduction = nodeEnv === 'production';

  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const raw = read(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const port = integer('PORT', 3000, 0, 65535);

  const rawHost = read('HOST');
  let host = isProduction ? undefined : '127.0.0.1';
  if (rawHost !== undefined) {
    if (rawHost === 'localhost' || net.isIP(rawHost) !== 0) host = rawHost;
    else
      problems.push(
        `HOST must be an address of this machine: 127.0.0.1 (this machine only), 0.0.0.0 or :: (every interface), ` +
          `an interface's own address, or localhost (got "${rawHost}")`,
      );
  }

  // Headers within 20 s (nginx allows a client 15 s); a whole request within 2 minutes: a 5 MB
  // photo sent from a phone with a poor signal (about 0.4 Mbit/s up) still arrives.
  const httpTimeouts = {
    headersTimeoutMs: integer('HTTP_HEADERS_TIMEOUT_MS', 20_000, 100, 600_000),
    requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 120_000, 100, 3_600_000),
    keepAliveTimeoutMs: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
  };
  if (httpTimeouts.headersTimeoutMs > httpTimeouts.requestTimeoutMs) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS (${httpTimeouts.headersTimeoutMs}) must not be above HTTP_REQUEST_TIMEOUT_MS ` +
        `(${httpTimeouts.requestTimeoutMs}): the headers are part of the request`,
    );
  }

  const mongodbUri = read('MONGODB_URI');
  if (mongodbUri !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    problems.push('MONGODB_URI must start with mongodb:// or mongodb+srv://');
  }

  const rawBackend = read('MONGO_BACKEND');
  let mongoBackend: MongoBackend | undefined;
  if (rawBackend === 'memory-server' || rawBackend === 'embedded') mongoBackend = rawBackend;
  else if (rawBackend !== undefined) {
    problems.push(`MONGO_BACKEND must be memory-server or embedded (got "${rawBackend}")`);
  }

  if (isProduction && mongodbUri === undefined) {
    problems.push(
      'MONGODB_URI is required when NODE_ENV=production: the embedded engine is for development and tests, ' +
        'and orders and accounts kept there would not be safe (e.g. MONGODB_URI=mongodb://db.example:27017/shop)',
    );
  }

  const rawDbPath = read('EMBEDDED_DBPATH');
  let embeddedDbPath: string | undefined;
  let memoryServerDbPath: string | undefined;
  if (rawDbPath === 'memory') embeddedDbPath = undefined;
  else if (rawDbPath !== undefined) embeddedDbPath = path.resolve(rawDbPath);
  else if (nodeEnv === 'development') {
    embeddedDbPath = path.join(dataDir, 'embedded');
    memoryServerDbPath = path.join(dataDir, 'mongod');
  }

  const rawSecrets = read('SESSION_SECRET');
  let sessionSecrets = (rawSecrets ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  let sessionSecretGenerated = false;
  if (sessionSecrets.length === 0) {
    if (isProduction) {
      problems.push('SESSION_SECRET is required when NODE_ENV=production (a long random string)');
    }
    // Kept in development, so that a restart of `npm run dev` does not log everyone out.
    sessionSecrets = [nodeEnv === 'development' ? keptSecret(dataDir) : randomSecret()];
    sessionSecretGenerated = true;
  } else if (isProduction && sessionSecrets.some((s) => s.length < 32)) {
    problems.push('SESSION_SECRET: each secret must be at least 32 characters long in production');
  }

  const trustProxy = parseTrustProxy(read('TRUST_PROXY'), problems);

  const minute = 60_000;
  const idleTimeoutMinutes = integer('SESSION_IDLE_MINUTES', 120, 1, 60 * 24 * 30);
  const touchIntervalSeconds = integer('SESSION_TOUCH_SECONDS', 60, 0, 60 * 60 * 24);
  if (touchIntervalSeconds * 1000 >= idleTimeoutMinutes * minute) {
    // The stored expiry would lag the cookie by up to the interval: active shoppers would be logged out.
    problems.push(
      `SESSION_TOUCH_SECONDS (${touchIntervalSeconds}) must be below the idle timeout, SESSION_IDLE_MINUTES ` +
        `(${idleTimeoutMinutes} minutes = ${idleTimeoutMinutes * 60} seconds)`,
    );
  }
  const absoluteTimeoutHours = integer('SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 90);

  // Tests sign up and log in many shoppers from one address: their default is out of the way,
  // and the rate-limit tests set small limits of their own.
  const limitDefault = (value: number) => (nodeEnv === 'test' ? 1000 : value);
  const rateLimit = {
    login: {
      perIp: integer('LOGIN_RATE_LIMIT_PER_IP', limitDefault(50), 1, 100_000),
      perAccount: integer('LOGIN_RATE_LIMIT_PER_ACCOUNT', limitDefault(10), 1, 100_000),
      windowMs: integer('LOGIN_RATE_LIMIT_WINDOW_MINUTES', 15, 1, 60 * 24) * minute,
    },
    signup: {
      perIp: integer('SIGNUP_RATE_LIMIT_PER_IP', limitDefault(10), 1, 100_000),
      windowMs: integer('SIGNUP_RATE_LIMIT_WINDOW_MINUTES', 60, 1, 60 * 24) * minute,
    },
    reset: { perIp: limitDefault(20), perAccount: limitDefault(5), windowMs: 60 * minute },
    photos: { perShopper: limitDefault(30), windowMs: 60 * minute },
  };

  const catalogCacheMs = integer('CATALOG_CACHE_MS', 1000, 0, 60_000);
  const pendingOrderLeaseMs = integer('PENDING_ORDER_LEASE_MS', DEFAULT_PENDING_ORDER_LEASE_MS, 0, 60 * minute);
  const photoDecoding = {
    concurrency: integer('PHOTO_DECODE_CONCURRENCY', 2, 1, 64),
    queue: integer('PHOTO_DECODE_QUEUE', 8, 0, 1000),
  };

  const bcryptRounds = integer('BCRYPT_ROUNDS', nodeEnv === 'test' ? 4 : 12, 4, 15);

  const logLevel = read('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`);
  }

  const rawSeed = read('SEED_DEMO_DATA');
  if (rawSeed !== undefined && rawSeed !== 'true' && rawSeed !== 'false') {
    problems.push(`SEED_DEMO_DATA must be true or false (got "${rawSeed}")`);
  }
  const seedDemoData =
    rawSeed === undefined ? mongodbUri === undefined && nodeEnv === 'development' : rawSeed === 'true';

  const database = {
    connectTimeoutMs: integer('DB_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    connectRetries: integer('DB_CONNECT_RETRIES', 0, 0, 100),
    connectRetryDelayMs: integer('DB_CONNECT_RETRY_DELAY_MS', 1000, 0, 60_000),
    requestTimeoutMs: integer('DB_REQUEST_TIMEOUT_MS', 5000, 100, 120_000),
  };
  const shutdownTimeoutMs = integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000);

  const metricsToken = read('METRICS_TOKEN');
  if (metricsToken !== undefined && !/^[\x21-\x7e]{32,}$/.test(metricsToken)) {
    // Not echoed: it is a secret, even when a bad one.
    problems.push(
      `METRICS_TOKEN must be at least 32 visible ASCII characters without spaces (got ${metricsToken.length} characters); ` +
        `generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
    );
  }

  const smtpUrl = read('SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^\s]+$/.test(smtpUrl)) {
    problems.push('SMTP_URL must look like smtp://user:password@host:587 (or smtps:// for TLS from the start)');
  }
  const mailFrom = read('MAIL_FROM') ?? '"Session Shop" <shop@localhost>';
  if (!/^[^\r\n]*<?[^@\s<>]+@[^@\s<>]+>?$/.test(mailFrom)) {
    problems.push(
      `MAIL_FROM must be an address, optionally with a name: "Session Shop" <shop@example.com> (got "${mailFrom}")`,
    );
  }
  const rawPublicUrl = read('PUBLIC_URL');
  let publicUrl = `http://localhost:${port}`;
  if (rawPublicUrl !== undefined) {
    if (/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(rawPublicUrl)) publicUrl = rawPublicUrl.replace(/\/+$/, '');
    else
      problems.push(`PUBLIC_URL must be the shop's address, such as https://shop.example.com (got "${rawPublicUrl}")`);
  } else if (isProduction && smtpUrl !== undefined) {
    problems.push('PUBLIC_URL is required when NODE_ENV=production and SMTP_URL is set: the links in mail point there');
  }
  const processName = read('SHOP_PROCESS_NAME');
  if (processName !== undefined && !/^[\w.-]{1,64}$/.test(processName)) {
    problems.push(
      `SHOP_PROCESS_NAME must be up to 64 letters, digits, dots, dashes or underscores (got "${processName}")`,
    );
  }
  const mail = {
    smtpUrl,
    // Development keeps what it would have sent in a mailbox of its own (/dev/mail); tests start an SMTP server.
    mailboxDir: smtpUrl === undefined && nodeEnv === 'development' ? path.join(dataDir, 'mail') : undefined,
    from: mailFrom,
  };

  const adminEmails = (read('ADMIN_EMAILS') ?? '')
    .split(',')
    .map((address) => address.trim().toLowerCase())
    .filter((address) => address !== '');
  for (const address of adminEmails) {
    if (!/^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/.test(address)) {
      problems.push(`ADMIN_EMAILS must be email addresses separated by commas (got "${address}")`);
    }
  }

  const rawCrashAt = read('SHOP_TEST_CRASH_AT');
  let testCrashAt: CrashPoint | undefined;
  if (rawCrashAt !== undefined) {
    if (nodeEnv !== 'test') problems.push('SHOP_TEST_CRASH_AT is a test hook: it is only accepted with NODE_ENV=test');
    else if (isCrashPoint(rawCrashAt)) testCrashAt = rawCrashAt;
    else problems.push(`SHOP_TEST_CRASH_AT must be one of ${CRASH_POINTS.join(', ')} (got "${rawCrashAt}")`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: nodeEnv,
    isProduction,
    port,
    host,
    http: httpTimeouts,
    mongodbUri,
    mongoBackend,
    embeddedDbPath,
    memoryServerDbPath,
    dbName: 'shop',
    sessionSecrets,
    sessionSecretGenerated,
    trustProxy,
    session: {
      idleTimeoutMs: idleTimeoutMinutes * minute,
      touchIntervalMs: touchIntervalSeconds * 1000,
      absoluteTimeoutMs: absoluteTimeoutHours * 60 * minute,
    },
    rateLimit,
    catalogCacheMs,
    pendingOrderLeaseMs,
    photoDecoding,
    bcryptRounds,
    logLevel,
    seedDemoData,
    database,
    shutdownTimeoutMs,
    metrics: metricsToken === undefined ? undefined : { token: metricsToken },
    publicUrl,
    processName,
    mail,
    testCrashAt,
    adminEmails: [...new Set(adminEmails)],
  };
}

function parseTrustProxy(raw: string | undefined, problems: string[]): boolean | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  // Express also accepts addresses, subnets and names such as "loopback"; it validates them itself.
  if (/^[\w.:/, -]+$/.test(raw)) return raw;
  problems.push(`TRUST_PROXY must be false, true, a hop count or a list of addresses (got "${raw}")`);
  return false;
}

/** Hides the password of a connection string, for log lines and error messages. */
export function redactUri(uri: string): string {
  return uri.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1****@');
}

function randomSecret(): string {
  return crypto.randomBytes(32).toString('hex');
}

/** The development secret under `dataDir` (git-ignored), made on first use, readable by its owner only. */
function keptSecret(dataDir: string): string {
  const file = path.join(dataDir, 'session-secret');
  try {
    const kept = fs.readFileSync(file, 'utf8').trim();
    if (kept.length >= 32) return kept;
  } catch {
    // Not there yet: made below.
  }
  const secret = randomSecret();
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  } catch {
    // A read-only checkout still starts; only restarts log shoppers out then.
  }
  return secret;
}
