import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

/*
 * The benchmark's processes: the embedded engine, the shop and the ceiling, each a direct child
 * (`node --import tsx file.ts`, not the tsx binary, whose grandchild would get neither the signals
 * nor the pid whose memory the bench reads).
 */

export const ROOT = path.join(__dirname, '..', '..');

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The last lines it wrote, for the error message when it dies. */
  output(): string;
  stop(): Promise<void>;
}

export function startChild(
  name: string,
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  nodeFlags: string[] = [],
): Child {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(ROOT, file), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name} could not be started`);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    process: child,
    pid: child.pid,
    output: () => tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port nobody listens on right now (the child binds it a moment later). */
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

/** Resolves once `url` answers at all; fails when the child exits or the time runs out. */
export async function waitForHttp(
  child: Child,
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null)
      throw new Error(`${child.name} exited with ${child.process.exitCode}:\n${child.output()}`);
    const answered = await new Promise<boolean>((resolve) => {
      const request = http.get(url, { headers }, (response) => {
        response.resume();
        resolve(true);
      });
      request.on('error', () => resolve(false));
      request.setTimeout(2000, () => request.destroy());
    });
    if (answered) return;
    await sleep(200);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${child.output()}`);
}

/** Starts `npm run db`'s engine on a free port with a data directory; resolves with its URI (no database name). */
export async function startEngine(
  port: number,
  dbPath: string,
  nodeFlags: string[] = [],
): Promise<{ child: Child; uri: string }> {
  const child = startChild(
    'the embedded engine',
    'packages/embedded-mongodb/src/cli.ts',
    ['--port', String(port), '--dbpath', dbPath],
    process.env,
    nodeFlags,
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const match = /MONGODB_URI=(mongodb:\/\/[^\s/]+)/.exec(child.output());
    if (match) return { child, uri: match[1] };
    if (child.process.exitCode !== null) break;
    await sleep(100);
  }
  await child.stop();
  throw new Error(`the embedded engine did not start:\n${child.output()}`);
}

/** Resident memory of a process in bytes, from /proc (Linux). */
export function residentBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time a process has used so far (user + system, all its threads), in ms, from /proc (Linux). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (which may contain spaces) are space-separated; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
