import pino, { type Logger } from 'pino';

export type { Logger };

/** Bytes of log lines that may wait for standard output; past it, new lines are dropped, never the process. */
const MAX_PENDING_LOG_BYTES = 16 * 1024 * 1024;

/**
 * One structured logger for the whole process; children add context (component, request id).
 * With `buffered` (production), lines are written to standard output asynchronously from a
 * bounded buffer: logging never holds a request up on a slow or stalled reader of the output.
 */
export function createLogger(level: string, { buffered = false }: { buffered?: boolean } = {}): Logger {
  const destination = buffered
    ? pino.destination({ dest: 1, sync: false, maxLength: MAX_PENDING_LOG_BYTES })
    : pino.destination({ dest: 1, sync: true });
  // A reader of the output that is gone (EPIPE) loses the lines, never the process.
  destination.on('error', () => {});
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** Writes out what is buffered, waiting at most `timeoutMs` (a stalled reader cannot hold an exit). */
export function flushLogger(logger: Logger, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A logger that drops everything: for tests and library code given no logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
