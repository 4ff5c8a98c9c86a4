/**
 * Programs the scripts need from Debian's packages (nginx for the stack, podman and runc for the
 * image), installed with apt-get when missing: through sudo unless root.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The first executable `name` on PATH or in `places`; undefined when there is none. */
export function findProgram(name: string, places: string[] = []): string | undefined {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, name));
  return [...onPath, ...places].find((candidate) => {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return fs.statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

/** `apt-get update`, then `apt-get install` of `packages` without their recommendations. */
export function installDebianPackages(packages: string[], log: (message: string) => void = () => undefined): void {
  log(`installing Debian's ${packages.join(', ')} (apt-get install)`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]) => {
    const [command, ...rest] = [...sudo, ...args];
    const result = spawnSync(command, rest, {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 10 * 60_000,
    });
    if (result.status !== 0)
      throw new Error(
        `${[command, ...rest].join(' ')} failed; install ${packages.join(' ')} by hand:\n` +
          (result.error?.message ?? result.stderr),
      );
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
}
