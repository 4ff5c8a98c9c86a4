/**
 * The embedded engine and the shop, each as a process of its own, as in production: for the load
 * test and the tests that need a real server process (start-up failure, graceful shutdown).
 * `node --import tsx file.ts`, not the tsx binary: that one runs the script in a grandchild, which
 * signals sent to the child would not reach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');

export interface ChildHandle {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
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
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
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
  const handle = spawnTs('src/embedded/cli.ts', args, { ...process.env, LOG_LEVEL: 'warn' });
  const [, uri] = await waitForOutput(handle, /MONGODB_URI=(mongodb:\/\/\S+)/);
  return { ...handle, uri };
}

export interface ShopProcess extends ChildHandle {
  /** http://127.0.0.1:PORT */
  url: string;
}

/**
 * src/server.ts on a free port (PORT=0), with exactly the environment given (plus PATH and HOME):
 * nothing leaks in from the caller's MONGODB_URI or .env-style variables. Resolves once it listens.
 */
export async function startShopProcess(env: Record<string, string>): Promise<ShopProcess> {
  const handle = spawnTs('src/server.ts', [], shopEnvironment(env));
  const [, port] = await waitForOutput(handle, /shop listening on http:\/\/localhost:(\d+)/);
  return { ...handle, url: `http://127.0.0.1:${port}` };
}

export function shopEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', LOG_LEVEL: 'info', ...env };
}
