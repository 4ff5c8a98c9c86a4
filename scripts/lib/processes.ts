/**
 * The embedded engine and the shop, each as a process of its own, as in production: for the load
 * test and the tests that need a real server process (start-up failure, graceful shutdown).
 * `node --import tsx file.ts`, not the tsx binary: that one runs the script in a grandchild, which
 * signals sent to the child would not reach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');

/** Characters of a child's output kept in memory (its beginning and its end). */
const OUTPUT_KEPT = 256 * 1024;

export interface ChildHandle {
  child: ChildProcess;
  /** What it wrote to stdout and stderr (the middle of a very long output left out). */
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Sends the signal (SIGTERM by default) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnTs(file: string, args: string[], env: NodeJS.ProcessEnv): ChildHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // The start (the lines waited for) and the end (why it stopped) matter: a long run's request
  // log in between is dropped rather than kept in memory.
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 2 * OUTPUT_KEPT)
      output = output.slice(0, OUTPUT_KEPT / 2) + '\n[...]\n' + output.slice(-OUTPUT_KEPT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Resolves with the first match of `pattern` in the output; rejects if the process ends first or time runs out. */
export function waitForOutput(handle: ChildHandle, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(handle.output());
      if (match) finish(() => resolve(match));
    };
    const onExit = (code: number | null) =>
      finish(() => reject(new Error(`process exited (${code}) before printing ${pattern}:\n${handle.output()}`)));
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${handle.output()}`))),
      timeoutMs,
    );
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      handle.child.stdout!.off('data', check);
      handle.child.stderr!.off('data', check);
      handle.child.off('exit', onExit);
      settle();
    };
    handle.child.stdout!.on('data', check);
    handle.child.stderr!.on('data', check);
    handle.child.once('exit', onExit);
    check();
  });
}

export interface EngineProcess extends ChildHandle {
  /** mongodb://127.0.0.1:PORT/shop */
  uri: string;
}

/** `npm run db` on a free port (data in memory unless `dbPath`). */
export async function startEngineProcess(options: { dbPath?: string } = {}): Promise<EngineProcess> {
  const args = ['--port', '0', ...(options.dbPath ? ['--dbpath', options.dbPath] : [])];
  const handle = spawnTs('packages/embedded-mongodb/src/cli.ts', args, { ...process.env, LOG_LEVEL: 'warn' });
  const [, uri] = await killIfNot(handle, waitForOutput(handle, /MONGODB_URI=(mongodb:\/\/\S+)/));
  return { ...handle, uri };
}

export interface ShopProcess extends ChildHandle {
  /** http://127.0.0.1:PORT */
  url: string;
}

/**
 * src/server.ts on a free port (PORT=0), with exactly the environment given (plus PATH and HOME):
 * nothing leaks in from the caller's MONGODB_URI or .env-style variables. Resolves once it listens,
 * which it logs at level info: a LOG_LEVEL above that would leave this waiting until the timeout.
 */
export async function startShopProcess(env: Record<string, string>): Promise<ShopProcess> {
  const handle = spawnTs('src/server.ts', [], shopEnvironment(env));
  const [, port] = await killIfNot(handle, waitForOutput(handle, /shop listening on http:\/\/localhost:(\d+)/));
  return { ...handle, url: `http://127.0.0.1:${port}` };
}

/** A process that did not start as expected is not left running. */
async function killIfNot<T>(handle: ChildHandle, started: Promise<T>): Promise<T> {
  try {
    return await started;
  } catch (error) {
    await handle.stop('SIGKILL');
    throw error;
  }
}

export function shopEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', LOG_LEVEL: 'info', ...env };
}

/**
 * CPU time (user + system, in seconds) a process has used so far, from Linux's /proc; undefined
 * elsewhere. On a shared machine, work per CPU-second says more than work per wall-clock second.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces, hence the last ')'): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux that Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;
