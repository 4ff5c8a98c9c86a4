import type { CrashPoint } from '../crash-points';
import type { AccountSecurityConfig } from './account-security';

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
    /**
     * `SESSION_REAUTH_MINUTES`: how long a login (or a confirmation of the password, or later of a
     * passkey or the provider) counts as fresh for sensitive changes (accounts/step-up/).
     */
    freshLoginMs: number;
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
  /** TOTP_KEY and OIDC_*: see config/account-security.ts. */
  accountSecurity: AccountSecurityConfig;
  /**
   * `ADMIN_EMAILS`: the addresses (lower case) whose accounts act for the shop as a whole, once the
   * address is confirmed (accounts/admins.ts). Empty: no admin.
   */
  adminEmails: string[];
}
