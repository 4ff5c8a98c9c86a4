/**
 * podman for `npm run image`: installed from Debian when missing (with runc), run with the
 * project's containers.conf, and every command bounded in time.
 *
 *   ensurePodman(log);
 *   const id = await podman(['image', 'inspect', '--format', '{{.Id}}', 'session-shop'], { timeoutMs: 30_000 });
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findProgram, installDebianPackages } from './debian';
import { ROOT } from './processes';

/** podman's configuration for these machines: no default ulimits, runc (see the file). */
export const CONTAINERS_CONF = path.join(ROOT, 'deploy', 'podman', 'containers.conf');

/** What is kept of each of a command's streams: its end, where the reason for a failure is. */
const OUTPUT_KEPT = 64 * 1024;

export interface CommandOptions {
  /** Killed (SIGTERM, then SIGKILL 5 s later) when still running by then. */
  timeoutMs: number;
  /** For messages: "podman build"... (default: the command and its first argument). */
  what?: string;
  env?: NodeJS.ProcessEnv;
  /** Each chunk of its output as it comes (e.g. to show a long build's progress). */
  onOutput?: (chunk: string) => void;
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to its end and resolves with its exit code and output, whatever the code; rejects
 * only when it cannot be started or is still running after `timeoutMs`.
 */
export function execute(command: string, args: string[], options: CommandOptions): Promise<CommandResult> {
  const what = options.what ?? `${path.basename(command)} ${args[0] ?? ''}`.trim();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    const keep = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      options.onOutput?.(chunk.toString());
      output[stream] = (output[stream] + chunk.toString()).slice(-OUTPUT_KEPT);
    };
    child.stdout.on('data', keep('stdout'));
    child.stderr.on('data', keep('stderr'));
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${what}: could not be started (${error.message})`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      clearTimeout(killer);
      if (timedOut) reject(new Error(`${what} did not finish within ${options.timeoutMs / 1000} s:\n${tail(output)}`));
      else resolve({ code, ...output });
    });
  });
}

/** Like `execute`, but a non-zero exit code is an error too; resolves with its standard output, trimmed. */
export async function run(command: string, args: string[], options: CommandOptions): Promise<string> {
  const result = await execute(command, args, options);
  const what = options.what ?? `${path.basename(command)} ${args[0] ?? ''}`.trim();
  if (result.code !== 0) throw new Error(`${what} failed (exit code ${result.code}):\n${tail(result)}`);
  return result.stdout.trim();
}

/** The end of what a command printed, for an error message. */
function tail(output: { stdout: string; stderr: string }, lines = 40): string {
  return `${output.stdout}\n${output.stderr}`.trim().split('\n').slice(-lines).join('\n');
}

/** podman's environment: the project's containers.conf unless CONTAINERS_CONF names another. */
export function podmanEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF || CONTAINERS_CONF };
}

/** `podman ARGS`; resolves with its standard output, rejects on a non-zero exit code or time out. */
export function podman(args: string[], options: CommandOptions): Promise<string> {
  return run('podman', args, { what: `podman ${args[0]}`, env: podmanEnvironment(), ...options });
}

/** `podman ARGS` whatever its exit code (`image exists`, `healthcheck run`...). */
export function podmanResult(args: string[], options: CommandOptions): Promise<CommandResult> {
  return execute('podman', args, { what: `podman ${args[0]}`, env: podmanEnvironment(), ...options });
}

/** podman and runc from Debian's packages, installed first when missing (with sudo unless root). */
export function ensurePodman(log: (message: string) => void = () => undefined): void {
  const missing = ['podman', 'runc'].filter((name) => !findProgram(name, [`/usr/bin/${name}`, `/usr/sbin/${name}`]));
  if (missing.length === 0) return;
  log(`${missing.join(' and ')} missing`);
  installDebianPackages(['podman', 'runc'], log);
  for (const name of missing)
    if (!findProgram(name, [`/usr/bin/${name}`])) throw new Error(`${name} is still missing after apt-get install`);
}
