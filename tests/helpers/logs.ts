import pino from 'pino';
import type { Logger } from '../../src/platform/logger';

export type LogLine = Record<string, unknown> & { level: number; msg?: string };

/** A real pino logger (synchronous) whose lines are kept, parsed, for the assertions. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** pino's number for a level name. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
