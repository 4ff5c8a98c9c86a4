import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MINUTE_MS, type ConfigContext, type EnvReader } from './env';
import type { Config } from './types';

/** The secrets that sign the session cookie, and how long a session lasts. */
export function sessionSection(
  env: EnvReader,
  { nodeEnv, isProduction, dataDir }: ConfigContext,
): Pick<Config, 'sessionSecrets' | 'sessionSecretGenerated' | 'session'> {
  let sessionSecrets = (env.text('SESSION_SECRET') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  let sessionSecretGenerated = false;
  if (sessionSecrets.length === 0) {
    if (isProduction) {
      env.problem('SESSION_SECRET is required when NODE_ENV=production (a long random string)');
    }
    // Kept in development, so that a restart of `npm run dev` does not log everyone out.
    sessionSecrets = [nodeEnv === 'development' ? keptSecret(dataDir) : randomSecret()];
    sessionSecretGenerated = true;
  } else if (isProduction && sessionSecrets.some((s) => s.length < 32)) {
    env.problem('SESSION_SECRET: each secret must be at least 32 characters long in production');
  }

  const idleTimeoutMinutes = env.integer('SESSION_IDLE_MINUTES', 120, 1, 60 * 24 * 30);
  const touchIntervalSeconds = env.integer('SESSION_TOUCH_SECONDS', 60, 0, 60 * 60 * 24);
  if (touchIntervalSeconds * 1000 >= idleTimeoutMinutes * MINUTE_MS) {
    // The stored expiry would lag the cookie by up to the interval: active shoppers would be logged out.
    env.problem(
      `SESSION_TOUCH_SECONDS (${touchIntervalSeconds}) must be below the idle timeout, SESSION_IDLE_MINUTES ` +
        `(${idleTimeoutMinutes} minutes = ${idleTimeoutMinutes * 60} seconds)`,
    );
  }
  const absoluteTimeoutHours = env.integer('SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 90);
  return {
    sessionSecrets,
    sessionSecretGenerated,
    session: {
      idleTimeoutMs: idleTimeoutMinutes * MINUTE_MS,
      touchIntervalMs: touchIntervalSeconds * 1000,
      absoluteTimeoutMs: absoluteTimeoutHours * 60 * MINUTE_MS,
    },
  };
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
