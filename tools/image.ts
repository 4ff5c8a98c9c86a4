/**
 * The shop's container image, built from the Dockerfile with podman and checked by running it, for
 * `npm run image` (scripts/image.ts).
 *
 * The build reaches no network: npm installs from the host's npm cache (filled by `npm ci` on the
 * host), mounted into the build as an overlay (what npm writes there is thrown away), with the
 * Dockerfile's NPM_OFFLINE_CACHE build argument. The check runs the image as `docker run` would,
 * on the host's network, against the embedded engine started on the host (`npm run db`).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT, freePort, sleep, startEngineProcess, type EngineProcess } from './processes';
import { podman, podmanEnvironment, podmanResult } from './podman';

/** Where the host's npm cache appears in the build (the Dockerfile's NPM_OFFLINE_CACHE). */
const BUILD_NPM_CACHE = '/npm-cache';

/** Packages that only development uses: none may be in the image. */
const DEVELOPMENT_ONLY = ['@session-shop/embedded-mongodb', 'typescript', 'jest', 'tsx', 'mongodb-memory-server-core'];

/** `podman build` of the Dockerfile as `tag`, offline (see above). */
export async function buildImage(tag: string, onOutput: (chunk: string) => void): Promise<void> {
  const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
  if (!npmCache || !fs.existsSync(path.join(npmCache, '_cacache')))
    throw new Error(`the host's npm cache (${npmCache || 'unknown'}) is empty: run npm ci first, which fills it`);
  const openFiles = openFilesLimit();
  try {
    await podman(
      [
        'build',
        // Docker's format: OCI images have no HEALTHCHECK.
        '--format',
        'docker',
        '--pull=never',
        '--network',
        'none',
        // The RUN steps' limit of open files is otherwise 1024, which npm ci reading the cache
        // overruns now and then (EMFILE); the limit podman runs with can be kept, not raised.
        ...(openFiles ? ['--ulimit', `nofile=${openFiles}:${openFiles}`] : []),
        '--volume',
        `${npmCache}:${BUILD_NPM_CACHE}:O`,
        '--build-arg',
        `NPM_OFFLINE_CACHE=${BUILD_NPM_CACHE}`,
        '--tag',
        tag,
        ROOT,
      ],
      { what: 'podman build', timeoutMs: 30 * 60_000, onOutput },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/ENOTCACHED/.test(message)) throw error;
    throw new Error(
      `${message}\n\nnpm found a package of the lockfile missing from the host's npm cache (${npmCache}): ` +
        'run npm ci on the host first, with the default registry',
      { cause: error },
    );
  }
}

/** The hard limit of open files of this process (and of podman, its child), from Linux's /proc. */
function openFilesLimit(): number | undefined {
  try {
    const match = /^Max open files\s+\S+\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the image against the embedded engine, waits for its HEALTHCHECK to report healthy, requests
 * pages, uses its native modules, then stops it with SIGTERM and expects exit code 0. Logs each
 * step; rejects at the first that fails. The container and the engine are removed in any case.
 */
export async function checkImage(tag: string, log: (message: string) => void): Promise<void> {
  const step = async (name: string, check: () => Promise<string>) => {
    const started = Date.now();
    try {
      const detail = await check();
      log(`ok    ${name}: ${detail} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      throw new Error(`FAIL  ${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };

  const container = `session-shop-check-${process.pid}`;
  let engine: EngineProcess | undefined;
  // Ctrl-C or a CI time-out: the container and the engine go too.
  const removeOnSignal = () => {
    spawnSync('podman', ['rm', '--force', container], { env: podmanEnvironment(), timeout: 30_000 });
    engine?.child.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', removeOnSignal);
  process.once('SIGTERM', removeOnSignal);
  try {
    engine = await startEngineProcess();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const engineUri = engine.uri;

    await step('the container starts: production, the host network, the embedded engine on the host', async () => {
      await podman(
        [
          'run',
          '--detach',
          '--pull=never',
          '--name',
          container,
          '--network',
          'host',
          '--env',
          `PORT=${port}`,
          // Only this machine reaches it, while the check runs on the host's network.
          '--env',
          'HOST=127.0.0.1',
          '--env',
          `MONGODB_URI=${engineUri}`,
          '--env',
          `SESSION_SECRET=${crypto.randomBytes(32).toString('hex')}`,
          tag,
        ],
        { what: `podman run ${tag}`, timeoutMs: 60_000 },
      );
      return `${container}, ${url}, MONGODB_URI=${engineUri}`;
    });
    await step('its HEALTHCHECK reports healthy', () => waitUntilHealthy(container, 90_000));
    await step("GET /products answers 200 with the shop's page", async () => {
      const reply = await get(`${url}/products`);
      if (reply.status !== 200 || !/<title>[^<]*Session Shop<\/title>/.test(reply.body))
        throw new Error(`answered ${reply.status}: ${reply.body.slice(0, 300)}`);
      return `200, ${reply.body.length} characters of HTML`;
    });
    await step('GET /readyz answers 200: the container reaches the database', async () => {
      const reply = await get(`${url}/readyz`);
      if (reply.status !== 200) throw new Error(`answered ${reply.status}: ${reply.body.slice(0, 300)}`);
      return reply.body.trim();
    });
    await step('the native modules work in the image (bcrypt hashes, sharp encodes a PNG)', () =>
      podman(['exec', container, 'node', '-e', NATIVE_MODULES_SCRIPT], { what: 'podman exec node', timeoutMs: 60_000 }),
    );
    await step('it runs as an unprivileged user, without development packages', async () => {
      const found = await podman(
        [
          'exec',
          container,
          'sh',
          '-c',
          `id -un; for p in ${DEVELOPMENT_ONLY.join(' ')}; do [ -e node_modules/$p ] && echo $p; done; true`,
        ],
        { what: 'podman exec sh', timeoutMs: 30_000 },
      );
      const [user, ...devPackages] = found.split('\n');
      if (user === 'root' || devPackages.length > 0) throw new Error(`user ${user}, ${devPackages.join(', ')}`);
      return `user ${user}, none of ${DEVELOPMENT_ONLY.join(', ')}`;
    });
    await step('SIGTERM (podman stop) ends it with exit code 0', async () => {
      const started = Date.now();
      // SIGTERM, then SIGKILL after 20 s: longer than the shop's SHUTDOWN_TIMEOUT_MS (10 s).
      await podman(['stop', '--time', '20', container], { timeoutMs: 60_000 });
      const exitCode = await podman(['container', 'inspect', '--format', '{{.State.ExitCode}}', container], {
        timeoutMs: 30_000,
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (exitCode !== '0')
        throw new Error(
          `exit code ${exitCode} after ${seconds} s${exitCode === '137' ? ' (killed: SIGTERM did not end it)' : ''}`,
        );
      return `exit code 0 after ${seconds} s`;
    });
  } catch (error) {
    const logs = await podmanResult(['logs', '--tail', '30', container], { timeoutMs: 30_000 }).catch(() => undefined);
    const lines = logs?.code === 0 ? (logs.stdout + logs.stderr).trim() : '';
    if (lines) log(`the container's last lines:\n${lines}`);
    throw error;
  } finally {
    await podmanResult(['rm', '--force', container], { timeoutMs: 60_000 }).catch(() => undefined);
    await engine?.stop('SIGTERM', 10_000);
    process.off('SIGINT', removeOnSignal);
    process.off('SIGTERM', removeOnSignal);
  }
}

/** Inside the image: a bcrypt hash checked, and a PNG made by sharp (libvips from its @img package). */
const NATIVE_MODULES_SCRIPT = `
const bcrypt = require('bcrypt');
const sharp = require('sharp');
(async () => {
  const hash = await bcrypt.hash('password', 4);
  if (!(await bcrypt.compare('password', hash))) throw new Error('bcrypt: the hash does not match');
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();
  const { format, width } = await sharp(png).metadata();
  if (format !== 'png' || width !== 8) throw new Error('sharp: not the PNG made');
  console.log('bcrypt ' + hash.slice(0, 7) + '..., sharp with libvips ' + sharp.versions.vips);
})().catch((error) => { console.error(error); process.exit(1); });
`;

/**
 * Runs the image's HEALTHCHECK command (`podman healthcheck run`: podman schedules it with systemd
 * timers, which machines without systemd lack) until it reports healthy; rejects when the
 * container stops first or time runs out.
 */
async function waitUntilHealthy(container: string, timeoutMs: number): Promise<string> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < timeoutMs) {
    const state = await podman(
      ['container', 'inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', container],
      {
        timeoutMs: 30_000,
      },
    );
    const [status, exitCode] = state.split(' ');
    if (status !== 'running')
      throw new Error(`the container is ${status} (exit code ${exitCode}) before being healthy`);
    const check = await podmanResult(['healthcheck', 'run', container], { timeoutMs: 30_000 });
    last = (check.stdout + check.stderr).trim() || `exit code ${check.code}`;
    if (check.code === 0) {
      const health = await podman(['container', 'inspect', '--format', '{{.State.Health.Status}}', container], {
        timeoutMs: 30_000,
      });
      if (health === 'healthy') return `healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`;
      last = `podman inspect says ${health}`;
    }
    await sleep(1000);
  }
  throw new Error(`not healthy within ${timeoutMs / 1000} s (last: ${last})`);
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error(`GET ${url}: no answer within 10 s`)));
  });
}
