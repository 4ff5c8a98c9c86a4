/**
 * The production topology on one machine, for `npm run stack`, the browser test and the load test:
 * the database, several shop processes in production mode (`node dist/server.js`, as the image runs
 * it) and nginx in front, terminating TLS with a certificate made for the run and passing requests
 * round-robin to the processes. nginx's configuration is deploy/nginx/shop.conf.template, the one
 * checked in for real deployments, filled in and wrapped in a minimal nginx.conf of the run's own.
 *
 *   const stack = await startStack({ processes: 2 });
 *   // stack.url is https://localhost:PORT; stack.certificate verifies it
 *   await stack.kill(0); await stack.restart(0);     // SIGKILL one shop process, start it again
 *   await stack.stop();
 *
 * Everything it starts is a child process, and everything it writes (the certificate, the
 * configuration, nginx's temporary files and access log) is in one temporary folder, removed at stop.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { findProgram, installDebianPackages } from './debian';
import {
  COMPILED_SERVER,
  ROOT,
  freePort,
  sleep,
  spawnProgram,
  startEngineProcess,
  startShopProcess,
  type ChildHandle,
  type EngineProcess,
  type ShopProcess,
} from './processes';

/**
 * After a reload, how long until the old workers have finished: their requests in flight are short
 * (the load test's take milliseconds), and they close their idle connections to the processes at once.
 */
const RELOAD_SETTLE_MS = 2000;

/**
 * What every production shop process gets besides its configuration, as the Dockerfile sets it
 * (tests/unit/deploy-files.test.ts checks they agree): glibc's malloc with a fixed mmap threshold
 * of 128 KiB, so that the pixel buffers of a photo's decoding get mappings of their own, returned
 * to the system when freed, instead of growing glibc's per-thread arenas for good (see
 * docs/operations.md, "Photo uploads and memory").
 */
export const PRODUCTION_PROCESS_ENV: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072',
};

/** The checked-in nginx configuration, relative to the repository's root. */
export const NGINX_TEMPLATE = 'deploy/nginx/shop.conf.template';

export interface StackOptions {
  /** Shop processes behind nginx: 2 by default. */
  processes?: number;
  /** nginx's HTTPS port (0 or unset: a free one). */
  httpsPort?: number;
  /** nginx's plain HTTP port, which only redirects (0 or unset: a free one). */
  httpPort?: number;
  /** One port per shop process (unset: free ones). */
  shopPorts?: number[];
  /** A database to use; unset: the embedded engine is started as a process of its own (`npm run db`). */
  mongodbUri?: string;
  /** The started engine's data folder; unset: in memory, gone at stop. */
  dbPath?: string;
  /** Shared by every process (it must be); unset: a random one for the run. */
  sessionSecret?: string;
  /** More environment for every shop process (rate limits, BCRYPT_ROUNDS, SMTP_URL, LOG_LEVEL...). */
  shopEnv?: Record<string, string>;
  /** The first process fills an empty database with demo data before the others start. */
  seedDemoData?: boolean;
  /** `npm run build` when dist/ is missing or older than src/ ('if-needed', the default), or always. */
  build?: 'if-needed' | 'always';
  /** Every line a child writes, with its name ("shop-1", "nginx", "engine"). */
  onOutput?: (name: string, line: string) => void;
  /** Progress: building, installing nginx, starting... */
  log?: (message: string) => void;
}

export interface StackShop {
  /** shop-1, shop-2...: also its X-Shop-Process header (SHOP_PROCESS_NAME). */
  name: string;
  port: number;
  /** Straight to the process, bypassing nginx: http://127.0.0.1:PORT */
  directUrl: string;
  /** The running process; undefined while killed and not restarted. */
  process: ShopProcess | undefined;
}

export interface Stack {
  /** https://localhost:PORT, through nginx. */
  url: string;
  /** http://localhost:PORT: redirects to `url`. */
  httpUrl: string;
  mongodbUri: string;
  /** The run's self-signed certificate (PEM): a client that trusts it verifies `url` properly. */
  certificate: string;
  /** The run's folder: nginx.conf, shop.conf, the certificate, access.log. */
  runDir: string;
  shops: StackShop[];
  nginx: ChildHandle;
  engine: EngineProcess | undefined;
  /** nginx's access log so far: one line per request, with the process (upstream) that served it. */
  accessLog(): string;
  /** Ends one shop process with `signal` (SIGKILL by default: no shutdown at all); resolves once it is gone. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Takes a shop process out of nginx's rotation (marked `down`, nginx reloaded): once this resolves
   * nginx sends it nothing and holds no connection to it, so a SIGTERM then drops no request.
   */
  drain(index: number): Promise<void>;
  /** Puts a drained process back into the rotation. */
  undrain(index: number): Promise<void>;
  /** Starts a killed shop process again on its port; resolves with the ms until it answered. */
  restart(index: number): Promise<number>;
  /** Stops nginx, the shop processes and the engine (in that order), then removes the run's folder. */
  stop(): Promise<Array<{ name: string; code: number | null }>>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => undefined);
  const processes = options.processes ?? 2;
  if (!Number.isInteger(processes) || processes < 1) throw new Error(`processes must be 1 or more (got ${processes})`);
  if (options.shopPorts && options.shopPorts.length !== processes)
    throw new Error(`${processes} processes need ${processes} shop ports (got ${options.shopPorts.length})`);

  buildIfNeeded(options.build ?? 'if-needed', log);
  const nginxPath = ensureNginx(log);

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-stack-'));
  // nginx's workers run as an unprivileged user when the master is root: they must reach temp/.
  fs.chmodSync(runDir, 0o711);
  const started: ChildHandle[] = [];
  const lines = (name: string) => lineSplitter((line) => options.onOutput?.(name, line));
  try {
    const { certificate } = makeCertificate(runDir);

    let engine: EngineProcess | undefined;
    let mongodbUri = options.mongodbUri;
    if (mongodbUri === undefined) {
      log('starting the embedded engine (npm run db)');
      engine = await startEngineProcess({ dbPath: options.dbPath, onOutput: lines('engine') });
      started.push(engine);
      mongodbUri = engine.uri;
    }

    const httpsPort = options.httpsPort || (await freePort());
    const httpPort = options.httpPort || (await freePort());
    const url = `https://localhost:${httpsPort}`;
    const sessionSecret = options.sessionSecret ?? crypto.randomBytes(32).toString('hex');
    const shops: StackShop[] = [];
    for (let i = 0; i < processes; i++) {
      const port = options.shopPorts?.[i] ?? (await freePort());
      shops.push({ name: `shop-${i + 1}`, port, directUrl: `http://127.0.0.1:${port}`, process: undefined });
    }
    const environmentOf = (shop: StackShop, seed: boolean): Record<string, string> => ({
      ...PRODUCTION_PROCESS_ENV,
      NODE_ENV: 'production',
      PORT: String(shop.port),
      MONGODB_URI: mongodbUri,
      SESSION_SECRET: sessionSecret,
      // One proxy in front, on this machine: only a loopback peer's X-Forwarded-* headers are believed.
      TRUST_PROXY: 'loopback',
      PUBLIC_URL: url,
      SHOP_PROCESS_NAME: shop.name,
      SEED_DEMO_DATA: seed ? 'true' : 'false',
      ...options.shopEnv,
    });
    const startShop = async (shop: StackShop, seed: boolean) => {
      shop.process = await startShopProcess(environmentOf(shop, seed), {
        compiled: true,
        name: shop.name,
        onOutput: lines(shop.name),
      });
      started.push(shop.process);
    };

    log(`starting ${processes} shop processes (node ${COMPILED_SERVER}, NODE_ENV=production)`);
    // Seeding is not safe to race: the first process fills the database before the others start.
    if (options.seedDemoData) await startShop(shops[0], true);
    // Settled, not Promise.all: a process that starts after another failed must still be stopped below.
    const starts = await Promise.allSettled(
      shops.filter((shop) => shop.process === undefined).map((shop) => startShop(shop, false)),
    );
    for (const start of starts) if (start.status === 'rejected') throw start.reason;

    // Processes taken out of nginx's rotation (`down`), for a restart that drops nothing.
    const drained = new Set<number>();
    const templateValues = () => ({
      SHOP_SERVER_NAME: 'localhost',
      SHOP_PUBLIC_URL: url,
      SHOP_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
      SHOP_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      SHOP_TLS_CERTIFICATE: path.join(runDir, 'cert.pem'),
      SHOP_TLS_CERTIFICATE_KEY: path.join(runDir, 'key.pem'),
      SHOP_UPSTREAM_SERVERS: shops
        .map((shop, i) => `server 127.0.0.1:${shop.port}${drained.has(i) ? ' down' : ''};`)
        .join('\n    '),
    });
    const confPath = writeNginxConfig(runDir, templateValues());
    const nginxArgs = ['-e', 'stderr', '-p', runDir, '-c', confPath];
    const testConfig = () => {
      const test = spawnSync(nginxPath, [...nginxArgs, '-t'], { encoding: 'utf8' });
      if (test.status !== 0) throw new Error(`nginx refused its configuration:\n${test.stderr}`);
    };
    testConfig();
    log(`starting nginx on ${url} (TLS, self-signed) and http://localhost:${httpPort} (redirect)`);
    const nginx = spawnProgram(nginxPath, nginxArgs, { name: 'nginx', onOutput: lines('nginx') });
    started.push(nginx);
    await waitForHttps(nginx, `${url}/healthz`, certificate);
    const reload = async () => {
      writeShopConf(runDir, templateValues());
      testConfig();
      // SIGHUP: new workers with the new configuration; the old ones finish their requests, close
      // their idle connections to the processes and exit.
      nginx.child.kill('SIGHUP');
      await sleep(RELOAD_SETTLE_MS);
    };

    const stack: Stack = {
      url,
      httpUrl: `http://localhost:${httpPort}`,
      mongodbUri,
      certificate,
      runDir,
      shops,
      nginx,
      engine,
      accessLog: () => {
        try {
          return fs.readFileSync(path.join(runDir, 'access.log'), 'utf8');
        } catch {
          return '';
        }
      },
      async kill(index, signal = 'SIGKILL') {
        const shop = shops[index];
        if (!shop?.process) throw new Error(`no running shop process ${index}`);
        const running = shop.process;
        shop.process = undefined;
        await running.stop(signal);
      },
      async drain(index) {
        if (!shops[index]) throw new Error(`no shop process ${index}`);
        drained.add(index);
        await reload();
      },
      async undrain(index) {
        drained.delete(index);
        await reload();
      },
      async restart(index) {
        const shop = shops[index];
        if (!shop || shop.process) throw new Error(`shop process ${index} is running or unknown`);
        const begun = Date.now();
        await startShop(shop, false);
        return Date.now() - begun;
      },
      async stop() {
        const codes: Array<{ name: string; code: number | null }> = [];
        // nginx first (SIGQUIT: it finishes the requests it has), then the shops, then their database.
        codes.push({ name: 'nginx', code: await nginx.stop('SIGQUIT', 10_000) });
        for (const shop of shops) {
          if (shop.process) codes.push({ name: shop.name, code: await shop.process.stop('SIGTERM', 15_000) });
          shop.process = undefined;
        }
        if (engine) codes.push({ name: 'embedded engine', code: await engine.stop('SIGTERM', 15_000) });
        fs.rmSync(runDir, { recursive: true, force: true });
        return codes;
      },
    };
    return stack;
  } catch (error) {
    for (const handle of started.reverse()) await handle.stop('SIGKILL');
    fs.rmSync(runDir, { recursive: true, force: true });
    throw error;
  }
}

/** The template with every ${SHOP_...} placeholder filled; an unknown or missing one is an error. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  const missing = new Set<string>();
  const filled = template.replace(/\$\{(SHOP_[A-Z0-9_]+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return value;
  });
  if (missing.size > 0) throw new Error(`${NGINX_TEMPLATE}: no value for ${[...missing].join(', ')}`);
  return filled;
}

/**
 * shop.conf from the template, inside an nginx.conf of the run's own: in the foreground (a child
 * that ends with its parent), one worker, every file in the run's folder, and an access log that
 * names the process (upstream) behind each request.
 */
function writeNginxConfig(runDir: string, values: Record<string, string>): string {
  const shopConf = writeShopConf(runDir, values);
  const temp = path.join(runDir, 'temp');
  fs.mkdirSync(temp, { mode: 0o711 });
  const conf = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${path.join(runDir, 'nginx.pid')};`,
    'error_log stderr notice;',
    'events { worker_connections 1024; }',
    'http {',
    '    default_type application/octet-stream;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (kind) => `    ${kind}_temp_path ${path.join(temp, kind)};`,
    ),
    `    log_format stack '$time_iso8601 "$request" $status upstream=$upstream_addr upstream_status=$upstream_status $request_time s';`,
    `    access_log ${path.join(runDir, 'access.log')} stack;`,
    `    include ${shopConf};`,
    '}',
    '',
  ].join('\n');
  const confPath = path.join(runDir, 'nginx.conf');
  fs.writeFileSync(confPath, conf);
  return confPath;
}

/** The template filled in, as the run's shop.conf; returns its path. */
function writeShopConf(runDir: string, values: Record<string, string>): string {
  const template = fs.readFileSync(path.join(ROOT, NGINX_TEMPLATE), 'utf8');
  const shopConf = path.join(runDir, 'shop.conf');
  fs.writeFileSync(shopConf, fillTemplate(template, values));
  return shopConf;
}

/** A self-signed certificate for localhost (and 127.0.0.1, ::1), made by openssl for this run. */
function makeCertificate(runDir: string): { certificate: string } {
  const keyPath = path.join(runDir, 'key.pem');
  const certPath = path.join(runDir, 'cert.pem');
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '7',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { encoding: 'utf8' },
  );
  if (result.error) throw new Error(`openssl could not be run (is it installed?): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`openssl could not make the certificate:\n${result.stderr}`);
  fs.chmodSync(keyPath, 0o600);
  return { certificate: fs.readFileSync(certPath, 'utf8') };
}

/** `npm run build` unless dist/server.js is newer than every file under src/. */
export function buildIfNeeded(mode: 'if-needed' | 'always', log: (message: string) => void): void {
  const compiled = path.join(ROOT, COMPILED_SERVER);
  if (mode === 'if-needed' && fs.existsSync(compiled)) {
    const builtAt = fs.statSync(compiled).mtimeMs;
    if (newestModification(path.join(ROOT, 'src')) <= builtAt) return;
  }
  log('building the shop (npm run build)');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
}

function newestModification(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

const NGINX_PLACES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** nginx's path; Debian's package is installed first when it is missing (with sudo unless root). */
export function ensureNginx(log: (message: string) => void = () => undefined): string {
  const found = findProgram('nginx', NGINX_PLACES);
  if (found) return found;
  log('nginx is missing');
  installDebianPackages(['nginx'], log);
  const installed = findProgram('nginx', NGINX_PLACES);
  if (!installed) throw new Error('nginx is still missing after apt-get install nginx');
  return installed;
}

/** Resolves once `url` answers 200 over TLS verified with `ca`; rejects when `handle` exits first or time runs out. */
async function waitForHttps(handle: ChildHandle, url: string, ca: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null || handle.child.signalCode !== null) {
      const code = await handle.exited;
      throw new Error(`${handle.name} exited (${code}) before answering ${url}:\n${handle.output()}`);
    }
    const status = await new Promise<number | string>((resolve) => {
      const request = https.get(url, { ca, agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', (error) => resolve(error.message));
      request.setTimeout(2000, () => request.destroy(new Error('no answer within 2 s')));
    });
    if (status === 200) return;
    last = String(status);
    await sleep(100);
  }
  throw new Error(
    `${handle.name} did not answer ${url} within ${timeoutMs / 1000} s (last: ${last}):\n${handle.output()}`,
  );
}

/** Calls `onLine` for each whole line of a stream given in chunks. */
function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  };
}
