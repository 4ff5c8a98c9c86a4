/**
 * npm run load — N virtual shoppers (sign up or log in, browse, add to cart, order, log out) for
 * T seconds, then a check of the database: nothing acknowledged is missing, no session is
 * half-written, no request failed except by design. Prints requests/s, p50/p99 latency and the
 * error count; exits 1 when a check fails.
 *
 *   npm run load -- --shoppers 50 --seconds 30
 *   npm run load -- --url http://127.0.0.1:3000 --mongodb-uri mongodb://127.0.0.1:27017/shop
 *
 * Without --url it starts the embedded engine and the shop (production mode behind one trusted
 * proxy hop, rate limits raised, BCRYPT_ROUNDS 4 unless set) as processes of their own on free
 * ports, and stops them at the end. Environment equivalents: LOAD_SHOPPERS, LOAD_SECONDS,
 * LOAD_URL, MONGODB_URI (for the check with --url).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { redactUri } from '../src/platform/config';
import { verifyDatabase, type Check } from '../tools/database-checks';
import { cpuSeconds, startEngineProcess, startShopProcess, type ChildHandle } from '../tools/processes';
import { Recorder } from './load/recorder';
import { stockShop } from './load/stock-shop';
import { VirtualShopper } from './load/virtual-shopper';

interface Options {
  shoppers: number;
  seconds: number;
  products: number;
  url?: string;
  mongodbUri?: string;
}

/** Far above what the run needs: the limits protect login and signup, not what a load test measures. */
const RAISED_RATE_LIMIT = '100000';

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      shoppers: { type: 'string', default: process.env.LOAD_SHOPPERS ?? '10' },
      seconds: { type: 'string', default: process.env.LOAD_SECONDS ?? '10' },
      products: { type: 'string', default: '12' },
      url: { type: 'string', default: process.env.LOAD_URL },
      'mongodb-uri': { type: 'string', default: process.env.MONGODB_URI },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: npm run load -- [--shoppers 10] [--seconds 10] [--products 12] [--url URL --mongodb-uri URI]');
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
    url: values.url,
    mongodbUri: values['mongodb-uri'],
  };
  if (options.url && !options.mongodbUri) {
    throw new Error('--url needs --mongodb-uri (or MONGODB_URI): the database the shop uses, for the check at the end');
  }
  return options;
}

interface Target {
  baseUrl: string;
  mongodbUri: string;
  /** Whether the shoppers play the TLS proxy in front of it (X-Forwarded-Proto: https). */
  behindHttpsProxy: boolean;
  /** Processes this run started; stopped at the end. */
  started: ChildHandle[];
}

async function startTarget(options: Options): Promise<Target> {
  if (options.url) {
    return { baseUrl: options.url, mongodbUri: options.mongodbUri!, behindHttpsProxy: false, started: [] };
  }
  const engine = await startEngineProcess();
  const shop = await startShopProcess({
    // Production, as deployed: view cache, secure cookies. The load generator plays the TLS proxy
    // in front of it (X-Forwarded-Proto, one trusted hop).
    NODE_ENV: 'production',
    TRUST_PROXY: '1',
    SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
    MONGODB_URI: engine.uri,
    // A line per request, as in production: logging is part of what a request costs.
    LOG_LEVEL: 'info',
    SEED_DEMO_DATA: 'false',
    BCRYPT_ROUNDS: process.env.BCRYPT_ROUNDS ?? '4',
    LOGIN_RATE_LIMIT_PER_IP: RAISED_RATE_LIMIT,
    LOGIN_RATE_LIMIT_PER_ACCOUNT: RAISED_RATE_LIMIT,
    SIGNUP_RATE_LIMIT_PER_IP: RAISED_RATE_LIMIT,
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

async function main(): Promise<number> {
  const options = readOptions();
  const target = await startTarget(options);
  const checks: Check[] = [];
  try {
    const runId = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
    console.log(
      `npm run load: ${options.shoppers} virtual shoppers for ${options.seconds} s against ${target.baseUrl}` +
        `${target.started.length > 0 ? ' (shop and embedded engine started for this run)' : ''}, database ${redactUri(target.mongodbUri)}`,
    );
    console.log(
      `machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (shared: figures are indicative)`,
    );

    const productIds = await stockShop({
      baseUrl: target.baseUrl,
      runId,
      products: options.products,
      behindHttpsProxy: target.behindHttpsProxy,
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
        }),
    );
    await Promise.all(shoppers.map((shopper) => shopper.run()));
    const elapsedMs = Date.now() - started;

    const summary = recorder.summary(elapsedMs);
    console.log(`\n${recorder.stepTable().join('\n')}\n`);
    console.log(
      `${summary.requests} requests in ${(elapsedMs / 1000).toFixed(1)} s: ${summary.perSecond.toFixed(1)} requests/s, ` +
        `p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, ${summary.errors} errors` +
        ` (${recorder.expectedRefusals} wrong-password logins refused, by design)`,
    );
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

    checks.push({
      name: 'no request failed except by design',
      ok: recorder.failures.length === 0,
      detail:
        recorder.failures.length === 0
          ? `${summary.requests} requests`
          : recorder.failures
              .slice(0, 5)
              .map((failure) => `${failure.label}: ${failure.what}`)
              .join('; ') + (recorder.failures.length > 5 ? ` (and ${recorder.failures.length - 5} more)` : ''),
    });
    const client = await MongoClient.connect(target.mongodbUri);
    try {
      checks.push(
        ...(await verifyDatabase(
          client.db(),
          shoppers.map((shopper) => shopper.ledger),
        )),
      );
    } finally {
      await client.close();
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
