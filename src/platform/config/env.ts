import type { NodeEnv } from './types';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment's values and collects what is wrong with them: every problem is reported
 * at once (`ConfigError`), each with the key, what it must be and what it was.
 */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** A key's value, trimmed; undefined when unset or empty. */
  text(key: string): string | undefined {
    const value = this.env[key]?.trim();
    return value === '' ? undefined : value;
  }

  /** A whole number from `min` to `max`, or `fallback` when unset (or malformed, which is a problem). */
  integer(key: string, fallback: number, min: number, max: number): number {
    const raw = this.text(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problem(`${key} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  problem(message: string): void {
    this.problems.push(message);
  }
}

/** What every section's defaults depend on. */
export interface ConfigContext {
  nodeEnv: NodeEnv;
  isProduction: boolean;
  /** Where development keeps what it generates (the session secret, the embedded data, the mailbox). */
  dataDir: string;
}

export const MINUTE_MS = 60_000;
