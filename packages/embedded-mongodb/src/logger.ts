/**
 * What the engine logs through. A pino logger satisfies it as it is, and so does anything with these four
 * methods: the engine does not depend on the application's logging library.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Drops everything: the default when the caller gives no logger. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** One JSON line a record on standard error, at `level` and above: what the command-line server uses. */
export function consoleLogger(level: Level | 'silent' = 'info'): Logger {
  const threshold = level === 'silent' ? LEVELS.length : LEVELS.indexOf(level);
  const write =
    (at: Level) =>
    (fields: object, message: string): void => {
      if (LEVELS.indexOf(at) < threshold) return;
      process.stderr.write(
        `${JSON.stringify({ level: at, time: new Date().toISOString(), ...fields, msg: message }, errorFields)}\n`,
      );
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function errorFields(_key: string, value: unknown): unknown {
  return value instanceof Error ? { type: value.name, message: value.message } : value;
}
