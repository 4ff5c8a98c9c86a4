/**
 * Child processes for the scripts and the tests: the embedded engine, the shop, and the bench's
 * small servers, each as a process of its own, as in production.
 *
 * Every one is started as `node [flags] --import tsx FILE.ts`, a direct child: the tsx binary
 * would run the script in a grandchild, which signals sent to the child would not reach, and whose
 * pid (for memory and CPU readings) would not be the one we hold. The compiled shop
 * (`node dist/server.js`, as the image runs it) is started the same way, without tsx.
 *
 *   const engine = await startEngineProcess();                  // `npm run db` on a free port
 *   const shop = await startShopProcess({ MONGODB_URI: engine.uri, SESSION_SECRET: ... });
 *   ...; await shop.stop(); await engine.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

/** The repository's root: files are named relative to it, and children run in it. */
export const ROOT = path.join(__dirname, '..');

/** Characters of a child's output kept in memory: its beginning (up to half this) and its end. */
const OUTPUT_KEPT = 256 * 1024;

export interface ChildHandle {
  /** For messages and CPU readings: "shop", "embedded engine"... */
  name: string;
  child: ChildProcess;
  pid: number;
  /** What it wrote to stdout and stderr (the middle of a very long output left out). */
  output(): string;
  /** Resolves with the exit code once the process has ended (null when a signal ended it). */
  exited: Promise<number | null>;
  /**
   * Sends the signal (SIGTERM by default) and waits for the exit code; with `killAfterMs`, a
   * process still running by then gets SIGKILL.
   */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  name?: string;
  args?: string[];
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Before `--import tsx`, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /**
   * Its standard output is a pipe nobody reads (a stalled log shipper): nothing is kept of it, and
   * the pipe fills up. `child.stdout.destroy()` then plays a reader that has gone.
   */
  unreadStdout?: boolean;
  /** Every chunk of its output as it comes, besides what is kept (e.g. to show it with a prefix). */
  onOutput?: (chunk: string) => void;
  /** Where it runs: the repository's root by default. */
  cwd?: string;
}

/** Starts `file` (relative to the repository's root) under tsx; its output is kept, bounded. */
export function spawnTs(file: string, options: SpawnOptions = {}): ChildHandle {
  return spawnNode(file, { ...options, nodeFlags: [...(options.nodeFlags ?? []), '--import', 'tsx'] });
}

/** Starts a JavaScript `file` (relative to the repository's root) with node; its output is kept, bounded. */
export function spawnNode(file: string, options: SpawnOptions = {}): ChildHandle {
  return spawnProgram(
    process.execPath,
    [...(options.nodeFlags ?? []), path.join(ROOT, file), ...(options.args ?? [])],
    {
      ...options,
      name: options.name ?? path.basename(file),
    },
  );
}

/** Starts any program (nginx, say) in the repository's root, with `args` as they are; its output is kept, bounded. */
export function spawnProgram(
  command: string,
  args: string[],
  options: Omit<SpawnOptions, 'args' | 'nodeFlags'> = {},
): ChildHandle {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = options.name ?? path.basename(command);
  if (child.pid === undefined) throw new Error(`${name} could not be started`);
  let output = '';
  // The start (the lines waited for) and the end (why it stopped) matter: a long run's request
  // log in between is dropped rather than kept in memory.
  const keep = (chunk: Buffer) => {
    options.onOutput?.(chunk.toString());
    output += chunk.toString();
    if (output.length > 2 * OUTPUT_KEPT)
      output = output.slice(0, OUTPUT_KEPT / 2) + '\n[...]\n' + output.slice(-OUTPUT_KEPT);
  };
  if (options.unreadStdout) {
    child.stdout!.pause();
    // Its output is never read, so the stream would never end: no 'close' after the exit without this.
    child.once('exit', () => child.stdout!.destroy());
  } else child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  // 'close', not 'exit': by then its output has been read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    name,
    child,
    pid: child.pid,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', killAfterMs) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Resolves with the first match of `pattern` in the output; rejects if the process ends first or time runs out. */
export function waitForOutput(handle: ChildHandle, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const { child } = handle;
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = () => {
      const match = pattern.exec(handle.output());
      if (match) finish(() => resolve(match));
    };
    const onClose = () =>
      finish(() =>
        reject(new Error(`${handle.name} exited (${child.exitCode}) before printing ${pattern}:\n${handle.output()}`)),
      );
    const timer = setTimeout(
      () =>
        finish(() => reject(new Error(`${handle.name}: no ${pattern} within ${timeoutMs} ms:\n${handle.output()}`))),
      timeoutMs,
    );
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.stderr!.off('data', check);
      child.off('close', onClose);
      settle();
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    // 'close' comes after the last of its output.
    child.once('close', onClose);
    check();
    // Ended before this was called: the output is all there will be.
    if (child.stdout!.closed && child.stderr!.closed && (child.exitCode !== null || child.signalCode !== null))
      onClose();
  });
}

/**
 * Resolves once `url` answers at all (any status) and, when the URL names a port, once that port's
 * listening socket is the process's own (see `listensOn`); rejects when the process exits first or
 * time runs out.
 */
export async function waitForHttp(
  handle: ChildHandle,
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const port = Number(new URL(url).port);
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null || handle.child.signalCode !== null) {
      const code = await handle.exited;
      throw new Error(`${handle.name} exited (${code}) before answering ${url}:\n${handle.output()}`);
    }
    const answered = await new Promise<boolean>((resolve) => {
      const request = http.get(url, { headers, agent: false }, (response) => {
        response.resume();
        resolve(true);
      });
      request.on('error', () => resolve(false));
      request.setTimeout(2000, () => request.destroy());
    });
    // Another process answering on the port: this one will fail to bind it and exit, or is not up yet.
    if (answered && (port === 0 || listensOn(handle.pid, port))) return;
    await sleep(100);
  }
  throw new Error(`${handle.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${handle.output()}`);
}

/**
 * Whether process `pid` holds the socket listening on TCP `port`, from /proc (Linux). A port found
 * free (`freePort`) can be taken by another test's child before ours binds it, and then that
 * process answers our requests: a test would quietly talk to the wrong shop. Where there is no
 * /proc, assumed true.
 */
export function listensOn(pid: number, port: number): boolean {
  let tables: string;
  try {
    tables = ['tcp', 'tcp6'].map((table) => fs.readFileSync(`/proc/net/${table}`, 'utf8')).join('\n');
  } catch {
    return true;
  }
  const portSuffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const LISTEN = '0A';
  const inodes = new Set<string>();
  for (const line of tables.split('\n')) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(portSuffix) && fields[3] === LISTEN && fields[9] !== undefined) inodes.add(fields[9]);
  }
  let descriptors: string[];
  try {
    descriptors = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return descriptors.some((descriptor) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${descriptor}`))?.[1];
      return inode !== undefined && inodes.has(inode);
    } catch {
      return false;
    }
  });
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

export interface EngineProcess extends ChildHandle {
  /** mongodb://127.0.0.1:PORT/shop */
  uri: string;
}

/** `npm run db`: on a free port unless `port`, data in memory unless `dbPath`. */
export async function startEngineProcess(
  options: { port?: number; dbPath?: string; nodeFlags?: string[]; onOutput?: (chunk: string) => void } = {},
): Promise<EngineProcess> {
  const args = ['--port', String(options.port ?? 0), ...(options.dbPath ? ['--dbpath', options.dbPath] : [])];
  const handle = spawnTs('packages/embedded-mongodb/src/cli.ts', {
    name: 'embedded engine',
    args,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    nodeFlags: options.nodeFlags,
    onOutput: options.onOutput,
  });
  const [, uri] = await killIfNot(handle, waitForOutput(handle, /MONGODB_URI=(mongodb:\/\/\S+)/));
  return { ...handle, uri };
}

export interface ShopProcess extends ChildHandle {
  /** http://127.0.0.1:PORT */
  url: string;
}

export interface ShopProcessOptions {
  nodeFlags?: string[];
  /** `node dist/server.js` (built by `npm run build`), as in production, instead of src/server.ts under tsx. */
  compiled?: boolean;
  /** For messages: "shop" by default. */
  name?: string;
  onOutput?: (chunk: string) => void;
  /** See SpawnOptions. */
  unreadStdout?: boolean;
}

/** The compiled server, relative to the repository's root. */
export const COMPILED_SERVER = 'dist/server.js';

/**
 * src/server.ts with exactly the environment given (plus PATH and HOME, see shopEnvironment):
 * nothing leaks in from the caller's MONGODB_URI or .env-style variables. On a free port unless
 * PORT is given; resolves once it answers GET /healthz (which needs no database, writes no log
 * line and no session), so at any LOG_LEVEL.
 */
export async function startShopProcess(
  env: Record<string, string>,
  options: ShopProcessOptions = {},
): Promise<ShopProcess> {
  const portGiven = env.PORT !== undefined && env.PORT !== '0';
  for (let attempt = 1; ; attempt++) {
    const port = portGiven ? Number(env.PORT) : await freePort();
    const spawnOptions: SpawnOptions = {
      name: options.name ?? 'shop',
      env: shopEnvironment({ ...env, PORT: String(port) }),
      nodeFlags: options.nodeFlags,
      unreadStdout: options.unreadStdout,
      onOutput: options.onOutput,
    };
    const handle = options.compiled ? spawnNode(COMPILED_SERVER, spawnOptions) : spawnTs('src/server.ts', spawnOptions);
    const url = `http://127.0.0.1:${port}`;
    try {
      await killIfNot(handle, waitForHttp(handle, `${url}/healthz`));
      return { ...handle, url };
    } catch (error) {
      // The free port was taken between freePort and the child's bind: another port, a few times.
      if (portGiven || attempt === 3 || !handle.output().includes('EADDRINUSE')) throw error;
    }
  }
}

/** The shop's environment: PATH, HOME, a free port chosen by the shop (PORT=0), LOG_LEVEL info, then `env`. */
export function shopEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', LOG_LEVEL: 'info', ...env };
}

/** A port nobody listens on right now: bound, then released (a child binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident memory of a process in bytes, from /proc (Linux). */
export function residentBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** USER_HZ: 100 on every Linux that Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, all threads, in seconds) a process has used so far, from Linux's /proc;
 * undefined elsewhere. On a shared machine, work per CPU-second says more than work per second.
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
