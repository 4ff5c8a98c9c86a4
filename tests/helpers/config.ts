import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../src/platform/config';

/**
 * loadConfig for the configuration tests: what development generates (the session secret, the TOTP
 * key) goes to a temporary data folder, never the repository's .data/. `remove` deletes it.
 */
export function configLoader(label: string) {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`)), '.data');
  const load = (env: Record<string, string | undefined>, options = { dataDir }): Config => loadConfig(env, options);
  /** The problems a ConfigError lists for `env`; none when it loads. */
  const problemsOf = (env: Record<string, string | undefined>): string[] => {
    try {
      load(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };
  const remove = () => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  return { dataDir, load, problemsOf, remove };
}
