import pino, { type Logger } from 'pino';

export type { Logger };

/** One structured logger for the whole process; children add context (component, request id). */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that drops everything: for tests and library code given no logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
