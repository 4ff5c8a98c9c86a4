/**
 * npm run load — N virtual shoppers (sign up or log in, browse, add to cart, order, log out) for
 * T seconds, then a check of the database: nothing acknowledged is missing, no session is
 * half-written, no request failed except by design. Prints requests/s, p50/p99 latency and the
 * error count; exits 1 when a check fails.
 *
 *   npm run load -- --shoppers 50 --seconds 30
 *   npm run load -- --url http://127.0.0.1:3000 --mongodb-uri mongodb://127.0.0.1:27017/shop
 *   npm run load -- --stack --kill-one-at 5               # through nginx, one process killed at 5 s
 *   npm run load -- --base-url https://localhost:8443 --insecure --mongodb-uri ...   # a stack of your own
 *
 * Without --url it starts the embedded engine and the shop (production mode behind one trusted
 * proxy hop, rate limits raised, BCRYPT_ROUNDS 4 unless set) as processes of their own on free
 * ports, and stops them at the end. With --stack it starts the production topology instead
 * (tools/stack.ts: the engine, --processes shop processes, nginx with TLS) and the shoppers speak
 * HTTPS to nginx; --kill-one-at S then kills the first shop process with SIGKILL (or
 * --kill-signal SIGTERM: a restart as an operator does it, taken out of nginx's rotation first,
 * which must fail no request at all) S seconds in and
 * starts it again at once, and a probe checks whether the login limits count across the processes
 * (a failing check with --shared-limits, information otherwise). Environment equivalents:
 * LOAD_SHOPPERS, LOAD_SECONDS, LOAD_URL, MONGODB_URI (for the check with --url).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { redactUri } from '../src/platform/config';
import { verifyDatabase, type Check } from '../tools/database-checks';
import { cpuSeconds, startEngineProcess, startShopProcess, type ChildHandle } from '../tools/processes';
import { startStack, type Stack } from '../tools/stack';
import { probeLoginLimit } from './load/limit-probe';
import { Recorder, type Failure } from './load/recorder';
import { stockShop } from './load/stock-shop';
import { VirtualShopper } from './load/virtual-shopper';

interface Options {
  shoppers: number;
  seconds: number;
  products: number;
  url?: string;
  mongodbUri?: string;
  /** An https:// URL with a certificate nobody vouches for (a stack's self-signed one). */
  insecure: boolean;
  /** Start the production topology (nginx, several processes) rather than one shop. */
  stack: boolean;
  processes: number;
  /** Seconds into the run at which the first shop process is killed (SIGKILL) and started again. */
  killOneAt?: number;
  /** SIGKILL (a crash: requests in flight on it fail) or SIGTERM (a restart: nothing may fail). */
  killSignal: 'SIGKILL' | 'SIGTERM';
  /** The login limits must count across processes (a failing check rather than information). */
  sharedLimits: boolean;
}

/** Far above what the run needs: the limits protect login and signup, not what a load test measures. */
const RAISED_RATE_LIMIT = '100000';

/**
 * The stack's failed-login limit per account: above what a shopper's wrong passwords (one login in
 * ten) reach in a run, low enough for the limit probe to cross it in a moment.
 */
const PROBE_LOGIN_LIMIT = 40;

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      shoppers: { type: 'string', default: process.env.LOAD_SHOPPERS ?? '10' },
      seconds: { type: 'string', default: process.env.LOAD_SECONDS ?? '10' },
      products: { type: 'string', default: '12' },
      url: { type: 'string', default: process.env.LOAD_URL },
      'base-url': { type: 'string' },
      'mongodb-uri': { type: 'string', default: process.env.MONGODB_URI },
      insecure: { type: 'boolean', default: false },
      stack: { type: 'boolean', default: false },
      processes: { type: 'string', default: '2' },
      'kill-one-at': { type: 'string' },
      'kill-signal': { type: 'string', default: 'SIGKILL' },
      'shared-limits': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run load -- [--shoppers 10] [--seconds 10] [--products 12]\n' +
        '         [--url URL | --base-url URL] [--insecure] [--mongodb-uri URI]\n' +
        '         [--stack [--processes 2] [--kill-one-at SECONDS [--kill-signal SIGTERM]] [--shared-limits]]',
    );
    process.exit(0);
  }
  const whole = (name: string, raw: string, min: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be a whole number of at least ${min} (got "${raw}")`);
    return value;
  };
  const options: Options = {
    shoppers: whole('shoppers', values.shoppers, 1),
    seconds: whole('seconds', values.seconds, 1),
    products: whole('products', values.products, 1),
    url: values['base-url'] ?? values.url,
    mongodbUri: values['mongodb-uri'],
    insecure: values.insecure,
    stack: values.stack,
    processes: whole('processes', values.processes, 1),
    killOneAt: values['kill-one-at'] === undefined ? undefined : whole('kill-one-at', values['kill-one-at'], 0),
    sharedLimits: values['shared-limits'],
    killSignal: values['kill-signal'] === 'SIGTERM' ? 'SIGTERM' : 'SIGKILL',
  };
  if (values['kill-signal'] !== 'SIGKILL' && values['kill-signal'] !== 'SIGTERM') {
    throw new Error(`--kill-signal must be SIGKILL or SIGTERM (got "${values['kill-signal']}")`);
  }
  if (options.url && !options.mongodbUri) {
    throw new Error('--url needs --mongodb-uri (or MONGODB_URI): the database the shop uses, for the check at the end');
  }
  if (options.stack && options.url) throw new Error('--stack starts its own shop: leave out --url and --base-url');
  if (!options.stack && (options.killOneAt !== undefined || options.sharedLimits)) {
    throw new Error('--kill-one-at and --shared-limits need --stack (the processes this run starts)');
  }
  if (options.killOneAt !== undefined && options.killOneAt >= options.seconds) {
    throw new Error(`--kill-one-at must be within the run (below --seconds ${options.seconds})`);
  }
  return options;
}

interface Target {
  baseUrl: string;
  mongodbUri: string;
  /** Whether the shoppers play the TLS proxy in front of it (X-Forwarded-Proto: https). */
  behindHttpsProxy: boolean;
  /** An https:// target: the certificate to trust, or none checked. */
  ca?: string;
  insecure?: boolean;
  /** Processes this run started; stopped at the end. */
  started: ChildHandle[];
  /** The production topology this run started (--stack). */
  stack?: Stack;
}

/** The shop's environment for a load run: production logging, cheap hashing, limits out of the way. */
function loadShopEnv(loginLimitPerAccount: string): Record<string, string> {
  return {
    // A line per request, as in production: logging is part of what a request costs.
    LOG_LEVEL: 'info',
    SEED_DEMO_DATA: 'false',
    BCRYPT_ROUNDS: process.env.BCRYPT_ROUNDS ?? '4',
    LOGIN_RATE_LIMIT_PER_IP: RAISED_RATE_LIMIT,
    LOGIN_RATE_LIMIT_PER_ACCOUNT: loginLimitPerAccount,
    SIGNUP_RATE_LIMIT_PER_IP: RAISED_RATE_LIMIT,
  };
}

async function startTarget(options: Options): Promise<Target> {
  if (options.url) {
    return {
      baseUrl: options.url,
      mongodbUri: options.mongodbUri!,
      behindHttpsProxy: false,
      insecure: options.insecure,
      started: [],
    };
  }
  if (options.stack) {
    const stack = await startStack({
      processes: options.processes,
      shopEnv: loadShopEnv(String(PROBE_LOGIN_LIMIT)),
      log: (message) => console.log(`stack: ${message}`),
    });
    return {
      baseUrl: stack.url,
      mongodbUri: stack.mongodbUri,
      behindHttpsProxy: false,
      ca: stack.certificate,
      started: [],
      stack,
    };
  }
  const engine = await startEngineProcess();
  const shop = await startShopProcess({
    // Production, as deployed: view cache, secure cookies. The load generator plays the TLS proxy
    // in front of it (X-Forwarded-Proto, one trusted hop).
    NODE_ENV: 'production',
    TRUST_PROXY: '1',
    SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
    MONGODB_URI: engine.uri,
    ...loadShopEnv(RAISED_RATE_LIMIT),
  }).catch(async (error: unknown) => {
    await engine.stop();
    throw error;
  });
  return {
    baseUrl: shop.url,
    mongodbUri: engine.uri,
    behindHttpsProxy: true,
    started: [shop, engine],
  };
}

/** A shop process killed and started again during the run: when, and how long it took to answer. */
interface Kill {
  name: string;
  signal: 'SIGKILL' | 'SIGTERM';
  /** Just before the signal, and once the process had gone (ms since the epoch). */
  sentAt: number;
  goneAt: number;
  restartMs: number;
}

/** Kills the first shop process `atSeconds` into the run and starts it again at once. */
async function killAndRestart(
  stack: Stack,
  startedAt: number,
  atSeconds: number,
  signal: 'SIGKILL' | 'SIGTERM',
): Promise<Kill> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + atSeconds * 1000 - Date.now())));
  const name = stack.shops[0].name;
  const at = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
  if (signal === 'SIGTERM') {
    // A restart as an operator does it: out of nginx's rotation first, so nothing is sent to it as it stops.
    await stack.drain(0);
    console.log(`  ${at()}: ${name} taken out of nginx's rotation`);
  }
  const sentAt = Date.now();
  await stack.kill(0, signal);
  const goneAt = Date.now();
  console.log(`  ${at()}: ${name} stopped (${signal}); starting it again`);
  const restartMs = await stack.restart(0);
  if (signal === 'SIGTERM') await stack.undrain(0);
  console.log(`  ${at()}: ${name} answers again (${restartMs} ms to start)`);
  return { name, signal, sentAt, goneAt, restartMs };
}

/** The request was on its way when the process died: sent before it was gone, failed after the kill. */
function inFlightAtKill(failure: Failure, kill: Kill | undefined): boolean {
  if (!kill || kill.signal !== 'SIGKILL' || failure.startedAt === undefined || failure.endedAt === undefined)
    return false;
  const proxyGaveUp = failure.status === undefined || failure.status === 502 || failure.status === 504;
  return proxyGaveUp && failure.startedAt <= kill.goneAt && failure.endedAt >= kill.sentAt;
}

async function main(): Promise<number> {
  const options = readOptions();
  const target = await startTarget(options);
  const checks: Check[] = [];
  const { stack } = target;
  try {
    const runId = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
    const what = stack
      ? ` (nginx and ${stack.shops.length} shop processes started for this run${options.killOneAt === undefined ? '' : `, ${stack.shops[0].name} killed (${options.killSignal}) at ${options.killOneAt} s`})`
      : target.started.length > 0
        ? ' (shop and embedded engine started for this run)'
        : '';
    console.log(
      `npm run load: ${options.shoppers} virtual shoppers for ${options.seconds} s against ${target.baseUrl}` +
        `${what}, database ${redactUri(target.mongodbUri)}`,
    );
    console.log(
      `machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (shared: figures are indicative)`,
    );

    const tls = { ca: target.ca, insecure: target.insecure };
    const { productIds, initialStock } = await stockShop({
      baseUrl: target.baseUrl,
      runId,
      products: options.products,
      behindHttpsProxy: target.behindHttpsProxy,
      ...tls,
    });
    const recorder = new Recorder();
    const cpuBefore = target.started.map((handle) => cpuSeconds(handle.pid));
    const generatorBefore = process.cpuUsage();
    const started = Date.now();
    const deadline = started + options.seconds * 1000;
    const shoppers = Array.from(
      { length: options.shoppers },
      (_, i) =>
        new VirtualShopper({
          baseUrl: target.baseUrl,
          email: `load-${runId}-${i + 1}@example.com`,
          recorder,
          deadline,
          productIds,
          behindHttpsProxy: target.behindHttpsProxy,
          ...tls,
        }),
    );
    const killing =
      stack && options.killOneAt !== undefined
        ? killAndRestart(stack, started, options.killOneAt, options.killSignal)
        : undefined;
    // Awaited below, once the shoppers are done; a failure meanwhile must not end the process unhandled.
    killing?.catch(() => undefined);
    await Promise.all(shoppers.map((shopper) => shopper.run()));
    const elapsedMs = Date.now() - started;
    const kill = await killing;

    const summary = recorder.summary(elapsedMs);
    console.log(`\n${recorder.stepTable().join('\n')}\n`);
    console.log(
      `${summary.requests} requests in ${(elapsedMs / 1000).toFixed(1)} s: ${summary.perSecond.toFixed(1)} requests/s, ` +
        `p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, ${summary.errors} errors` +
        ` (by design: ${recorder.expectedRefusals} wrong-password logins refused, ${recorder.refusedAdds} adds` +
        ` past the stock refused, ${recorder.shortOrders} orders short of stock)`,
    );
    if (recorder.servedBy.size > 0) {
      const counts = [...recorder.servedBy].sort(([a], [b]) => a.localeCompare(b));
      console.log(`served by: ${counts.map(([name, count]) => `${name} ${count}`).join(', ')}`);
    }
    const cpu = target.started.map((handle, i) => {
      const used = (cpuSeconds(handle.pid) ?? NaN) - (cpuBefore[i] ?? NaN);
      return Number.isFinite(used) ? `${handle.name} ${used.toFixed(1)} s` : undefined;
    });
    if (cpu.every((entry) => entry !== undefined) && cpu.length > 0) {
      const generator = process.cpuUsage(generatorBefore);
      console.log(
        `CPU time used meanwhile: ${cpu.join(', ')}, load generator ${((generator.user + generator.system) / 1e6).toFixed(1)} s`,
      );
    }

    // In flight on the killed process: nginx answers 502 (it never sends a POST twice), or the
    // connection breaks. Those writes are uncertain in the ledgers; anything else is a failure.
    const lostToKill = recorder.failures.filter((failure) => inFlightAtKill(failure, kill));
    const failures = recorder.failures.filter((failure) => !inFlightAtKill(failure, kill));
    checks.push({
      name: 'no request failed except by design',
      ok: failures.length === 0,
      detail:
        failures.length === 0
          ? `${summary.requests} requests`
          : failures
              .slice(0, 5)
              .map((failure) => `${failure.label}: ${failure.what}`)
              .join('; ') + (failures.length > 5 ? ` (and ${failures.length - 5} more)` : ''),
    });
    if (kill?.signal === 'SIGKILL') {
      checks.push({
        name: `only requests in flight on ${kill.name} when it was killed failed (one per shopper at most)`,
        ok: lostToKill.length <= options.shoppers,
        detail:
          lostToKill.length === 0
            ? 'none'
            : `${lostToKill.length}: ${lostToKill.map((failure) => `${failure.label} (${failure.what})`).join(', ')}`,
      });
    }
    if (kill) {
      const loggedOut = failures.filter((failure) => /to \/login/.test(failure.what));
      checks.push({
        name: 'nobody was logged out by the kill (no logged-in request sent to /login)',
        ok: loggedOut.length === 0,
        detail: loggedOut.length === 0 ? `${kill.name} back after ${kill.restartMs} ms` : `${loggedOut.length}`,
      });
    }
    if (stack) {
      const names = stack.shops.map((shop) => shop.name);
      const partial = [...recorder.processesOf].filter(([, seen]) => names.some((name) => !seen.has(name)));
      checks.push({
        name: `every shopper was served by all ${names.length} processes (round robin, sessions in MongoDB)`,
        ok: partial.length === 0 && recorder.processesOf.size === options.shoppers,
        detail:
          partial.length === 0
            ? `${recorder.processesOf.size} shoppers`
            : partial
                .slice(0, 3)
                .map(([email, seen]) => `${email}: ${[...seen].join(', ')}`)
                .join('; '),
      });
      const probe = await probeLoginLimit({
        baseUrl: target.baseUrl,
        ...tls,
        runId,
        limit: PROBE_LOGIN_LIMIT,
        processNames: stack.shops.map((shop) => shop.name),
      });
      const spread = probe.answeredBy.size === stack.shops.length;
      const shared = spread && probe.refusedAt === PROBE_LOGIN_LIMIT + 1 && probe.surprises.length === 0;
      const answered = [...probe.answeredBy].map(([name, count]) => `${name} ${count}`).join(', ');
      const detail =
        (probe.refusedAt === undefined
          ? `no 429 in ${probe.attempts} failed logins`
          : `429 at failed login ${probe.refusedAt}`) +
        ` (limit ${PROBE_LOGIN_LIMIT}, made-up X-Forwarded-For on each; failures answered by ${answered})` +
        (shared
          ? ''
          : probe.refusedAt !== undefined && probe.refusedAt > PROBE_LOGIN_LIMIT + 1
            ? ': each process counts its own'
            : '');
      if (options.sharedLimits) {
        checks.push({
          name: 'the login limit counts across processes',
          ok: shared,
          detail: detail + (probe.surprises.length > 0 ? `; ${probe.surprises.join(', ')}` : ''),
        });
      } else {
        console.log(`login limit across processes (information; --shared-limits makes it a check): ${detail}`);
      }
    }
    const client = await MongoClient.connect(target.mongodbUri);
    try {
      checks.push(
        ...(await verifyDatabase(
          client.db(),
          shoppers.map((shopper) => shopper.ledger),
          initialStock,
        )),
      );
    } finally {
      await client.close();
    }
    if (stack && failures.some((failure) => failure.status === 502 || failure.status === 504)) {
      // Why nginx gave up, in its own words (its error log goes to its output).
      const lines = stack.nginx
        .output()
        .split('\n')
        .filter((line) => /\[(error|warn|crit|alert)\]/.test(line));
      console.log(`\nnginx said:\n${lines.slice(-10).join('\n')}`);
    }
    if (kill?.signal === 'SIGKILL') {
      const uncertain = shoppers.reduce((sum, shopper) => sum + shopper.ledger.uncertain, 0);
      const lost = lostToKill.map(
        (failure) => `${failure.label} (${failure.what.replace(/^no answer: .*/, 'no answer')})`,
      );
      console.log(
        `\nwhat the kill cost: ${lostToKill.length} requests in flight on ${kill.name}` +
          `${lost.length > 0 ? `: ${lost.join(', ')}` : ''}; the shoppers were told these failed, and ${uncertain} ` +
          'writes among them may or may not have been applied (both are allowed). Everything acknowledged is checked below.',
      );
    }
  } finally {
    for (const handle of target.started) {
      const code = await handle.stop('SIGTERM');
      checks.push({
        name: `the ${handle.name} stopped cleanly on SIGTERM`,
        ok: code === 0,
        detail: `exit code ${code}`,
      });
      if (code !== 0) console.error(handle.output().split('\n').slice(-20).join('\n'));
    }
    if (stack) {
      for (const { name, code } of await stack.stop()) {
        checks.push({ name: `${name} stopped cleanly`, ok: code === 0, detail: `exit code ${code}` });
      }
    }
  }

  console.log('\nchecks:');
  for (const check of checks) console.log(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
  const failed = checks.filter((check) => !check.ok).length;
  console.log(failed === 0 ? '\nall checks passed' : `\n${failed} check(s) failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run load: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
