/**
 * Whether an error means "the database cannot be reached right now" (an outage, a failover, our
 * own shutdown) rather than a bug: such requests get the 503 page, and the shopper can try again.
 *
 * Checked by name and code, not `instanceof`: mongoose uses the 7.x driver and
 * connect-mongodb-session its own 6.x copy, whose classes differ. Wrapped errors are followed
 * through `cause` (the session store keeps the driver's error there).
 */
const UNAVAILABLE_ERROR_NAMES = new Set([
  'DatabaseUnavailableError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoPoolClearedError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoClientClosedError',
  'MongoServerClosedError',
]);

/** Server answers that mean "not now, try again": no primary during a failover, a server shutting down. */
const UNAVAILABLE_SERVER_CODES = new Set([
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  // A bounded walk: a cause chain could in principle loop.
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { name, code, message, cause } = current as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof name === 'string' && UNAVAILABLE_ERROR_NAMES.has(name)) return true;
    if (typeof code === 'number' && name === 'MongoServerError' && UNAVAILABLE_SERVER_CODES.has(code)) return true;
    // Mongoose queues operations until its first connection opens and fails them after bufferTimeoutMS.
    if (name === 'MongooseError' && typeof message === 'string' && message.includes('buffering timed out')) return true;
    current = cause;
  }
  return false;
}

/** Our own: raised where the shop itself knows the database (or the session store) is away. */
export class DatabaseUnavailableError extends Error {
  constructor(message = 'the database is unavailable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}
