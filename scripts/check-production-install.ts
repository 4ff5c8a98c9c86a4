/**
 * The image's way of running the shop, checked without a container engine: the runtime stage of
 * the Dockerfile, read from the Dockerfile itself and played in a temporary folder.
 *
 *   npx tsx scripts/check-production-install.ts      (CI runs it)
 *
 * 1. dist/ is built (`npm run build`) when missing or older than src/: the build stage's result;
 * 2. the runtime stage's ENV, COPY and RUN lines are followed in a temporary folder, so the
 *    production install (`npm ci --omit=dev`) comes from the lockfile, with an npm cache of its
 *    own (as in a fresh image, and so that `npm cache clean` there cleans nothing of this machine);
 * 3. no development dependency was installed (the embedded engine, TypeScript, jest, tsx...);
 * 4. the embedded engine is started on its own (`npm run db`), standing in for MongoDB;
 * 5. the stage's CMD runs in the folder with MONGODB_URI, SESSION_SECRET and a PORT, as
 *    `docker run` would: /healthz and /readyz answer 200 and a page renders;
 * 6. the stage's HEALTHCHECK command exits 0 against it, and 1 once it has stopped;
 * 7. SIGTERM stops it with exit code 0.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT,
  freePort,
  spawnProgram,
  startEngineProcess,
  waitForHttp,
  type ChildHandle,
  type EngineProcess,
} from '../tools/processes';
import { readRuntimeStage } from '../tools/dockerfile';
import { buildIfNeeded } from '../tools/stack';

/** Packages that only development uses: none may be in the production install. */
const DEVELOPMENT_ONLY = [
  '@session-shop/embedded-mongodb',
  '@session-shop/bench',
  'autocannon',
  'typescript',
  'jest',
  'tsx',
  'mongodb-memory-server-core',
];

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function main(): Promise<number> {
  const stage = readRuntimeStage(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  if (!stage.cmd || !stage.healthcheck) throw new Error('Dockerfile: the runtime stage needs CMD and HEALTHCHECK');
  buildIfNeeded('if-needed', (message) => console.log(message));

  const checks: Check[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'production-install-'));
  const npmCache = fs.mkdtempSync(path.join(os.tmpdir(), 'production-npm-cache-'));
  let engine: EngineProcess | undefined;
  let shop: ChildHandle | undefined;
  try {
    const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...stage.env };
    for (const step of stage.steps) {
      if (step.kind === 'copy') {
        // The build stage's files are this checkout's, just built: its WORKDIR stands for the repository's root.
        const intoFolder = step.destination.endsWith('/') || step.sources.length > 1;
        for (const source of step.sources) {
          const relative = step.from ? path.relative(stage.workdir, source) : source;
          const target = intoFolder
            ? path.join(dir, step.destination, path.basename(relative))
            : path.join(dir, step.destination);
          fs.cpSync(path.join(ROOT, relative), target, { recursive: true });
        }
        console.log(`COPY ${step.from ? `--from=${step.from} ` : ''}${step.sources.join(' ')} ${step.destination}`);
      } else {
        console.log(`RUN ${step.command}`);
        const started = Date.now();
        const result = spawnSync('sh', ['-c', step.command], {
          cwd: dir,
          encoding: 'utf8',
          env: { ...baseEnv, npm_config_cache: npmCache, npm_config_update_notifier: 'false' },
        });
        checks.push({
          name: `RUN ${step.command}`,
          ok: result.status === 0,
          detail: result.status === 0 ? `${((Date.now() - started) / 1000).toFixed(1)} s` : result.stderr.slice(-2000),
        });
        if (result.status !== 0) return report(checks);
      }
    }

    const devInstalled = DEVELOPMENT_ONLY.filter((name) => fs.existsSync(path.join(dir, 'node_modules', name)));
    checks.push({
      name: 'no development dependency in the production install',
      ok: devInstalled.length === 0,
      detail:
        devInstalled.length === 0
          ? `${fs.readdirSync(path.join(dir, 'node_modules')).length} entries in node_modules, none of ${DEVELOPMENT_ONLY.join(', ')}`
          : devInstalled.join(', '),
    });

    engine = await startEngineProcess();
    const port = await freePort();
    const [command, ...args] = stage.cmd;
    const env = {
      ...baseEnv,
      PORT: String(port),
      MONGODB_URI: engine.uri,
      SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
      TRUST_PROXY: '1',
    };
    console.log(`CMD ${JSON.stringify(stage.cmd)} in ${dir}, PORT=${port}, MONGODB_URI=${engine.uri}`);
    shop = spawnProgram(command === 'node' ? process.execPath : command, args, { name: 'shop', cwd: dir, env });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(shop, `${url}/healthz`);
    for (const [pathname, pattern] of [
      ['/healthz', /"ok"/],
      ['/readyz', /"ok"/],
      ['/', /<html/i],
    ] as const) {
      const reply = await get(`${url}${pathname}`);
      checks.push({
        name: `GET ${pathname} answers 200`,
        ok: reply.status === 200 && pattern.test(reply.body),
        detail: `${reply.status}`,
      });
    }

    const healthcheck = () => {
      const [program, ...rest] = stage.healthcheck!;
      return spawnSync(program === 'node' ? process.execPath : program, rest, { cwd: dir, env, timeout: 10_000 })
        .status;
    };
    const healthy = healthcheck();
    checks.push({ name: 'HEALTHCHECK passes while the shop runs', ok: healthy === 0, detail: `exit code ${healthy}` });

    const code = await shop.stop('SIGTERM', 15_000);
    checks.push({ name: 'SIGTERM stops the shop cleanly', ok: code === 0, detail: `exit code ${code}` });
    const unhealthy = healthcheck();
    checks.push({
      name: 'HEALTHCHECK fails once it has stopped',
      ok: unhealthy === 1,
      detail: `exit code ${unhealthy}`,
    });
    checks.push({
      name: 'the image runs as an unprivileged user',
      ok: stage.user !== undefined && !/^(root|0)(:|$)/.test(stage.user),
      detail: `USER ${stage.user ?? '(none: root)'}`,
    });
  } finally {
    if (shop) await shop.stop('SIGKILL');
    if (engine) await engine.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(npmCache, { recursive: true, force: true });
  }
  return report(checks);
}

function report(checks: Check[]): number {
  console.log('\nchecks:');
  for (const check of checks) console.log(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
  const failed = checks.filter((check) => !check.ok).length;
  console.log(failed === 0 ? '\nthe production install runs as the image would' : `\n${failed} check(s) failed`);
  return failed === 0 ? 0 : 1;
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

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`check-production-install: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
