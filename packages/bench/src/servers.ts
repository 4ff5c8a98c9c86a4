/**
 * The bench's processes, each its own, as in production: the embedded engine (as `npm run db`
 * runs it), the shop (src/server.ts in production mode, as tools/processes.ts starts it for the
 * tests), and the bench's servers under servers/. With --cpu-prof, each runs under
 * `node --cpu-prof`, its profile in a folder of its own.
 */
import path from 'node:path';
import {
  freePort,
  spawnTs,
  startEngineProcess,
  startShopProcess,
  waitForHttp,
  type ChildHandle,
  type EngineProcess,
  type ShopProcess,
} from './shop';

/** A stop that hangs ends in SIGKILL. */
const KILL_AFTER_MS = 10_000;
const SERVERS_DIR = 'packages/bench/src/servers';

export class Processes {
  private readonly children: ChildHandle[] = [];

  constructor(private readonly cpuProfDir?: string) {}

  async engine(dbPath: string): Promise<EngineProcess> {
    return this.keep(await startEngineProcess({ dbPath, nodeFlags: this.flags('embedded engine') }));
  }

  /**
   * The shop on `uri`, in production mode behind one TLS proxy hop (as the bench talks to it: the
   * `__Host-` cookie needs HTTPS), with its cookie secret, tens of thousands of logins allowed from
   * one address and the lowest hashing cost.
   */
  async shop(name: string, uri: string, secret: string, bcryptRounds: number): Promise<ShopProcess> {
    const env = {
      NODE_ENV: 'production',
      MONGODB_URI: uri,
      SESSION_SECRET: secret,
      TRUST_PROXY: '1',
      BCRYPT_ROUNDS: String(bcryptRounds),
      LOGIN_RATE_LIMIT_PER_IP: '100000',
      LOGIN_RATE_LIMIT_WINDOW_MINUTES: '1',
      // As in production: the request log line is part of every page's cost.
      LOG_LEVEL: 'info',
      SEED_DEMO_DATA: 'false',
    };
    return this.keep(await startShopProcess(env, { name, nodeFlags: this.flags(name) }));
  }

  /** One of servers/ (`file` without .ts) on a free port, in production mode; its URL once it answers GET /products. */
  async server(name: string, file: string, uri: string, secret = ''): Promise<string> {
    const port = await freePort();
    const server = this.keep(
      spawnTs(`${SERVERS_DIR}/${file}.ts`, {
        name,
        args: ['--port', String(port), '--uri', uri],
        env: { ...process.env, NODE_ENV: 'production', SESSION_SECRET: secret },
        nodeFlags: this.flags(name),
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(server, `${url}/products`);
    return url;
  }

  /** Every process by name, for CPU readings. */
  pids(): Record<string, number> {
    return Object.fromEntries(this.children.map((child) => [child.name, child.pid]));
  }

  /** What a process printed, for an error message. */
  output(name: string): string {
    return this.children.find((child) => child.name === name)?.output() ?? '';
  }

  /** The processes profiled, by name (the main thread's profile: the largest file). */
  get profiled(): Array<{ name: string; dir: string }> {
    const dir = this.cpuProfDir;
    return dir ? this.children.map((child) => ({ name: child.name, dir: path.join(dir, child.name) })) : [];
  }

  /** Stops them all, the last started first. */
  async stopAll(): Promise<void> {
    for (const child of [...this.children].reverse()) await child.stop('SIGTERM', KILL_AFTER_MS);
  }

  private keep<T extends ChildHandle>(child: T): T {
    this.children.push(child);
    return child;
  }

  private flags(name: string): string[] {
    return this.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(this.cpuProfDir, name)] : [];
  }
}
