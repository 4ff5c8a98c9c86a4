/**
 * npm run bench: the shop against its ceiling, its floor and two peers, in one run (the package's
 * README and docs/performance.md say what each run is and how to read the figures).
 *
 * Starts the embedded engine, seeds two shops (--products, 1,000, and --small-products, 12, each
 * in a database of its own), starts the shop and the two peers on each, the ceiling and the floor
 * on the big one (setup.ts), then drives each page with autocannon, most of them in alternation
 * (load-run.ts). A full run (no --only) then measures memory and the session lookup (memory.ts).
 * Prints the figures and the targets (report.ts), writes them as JSON (record.ts). Exits with 1
 * when any run saw an error, a timeout or an unexpected status.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ALTERNATED, readOptions, RUN_KEYS, wants, type RunKey } from './options';
import { Processes } from './servers';
import { seedShop } from './seed';
import { RunSetup, type ShopSize } from './setup';
import { problemsOf, runAll } from './load-run';
import { measureMemoryAndLookups } from './memory';
import { newReport, printResults } from './report';
import { TARGETS } from './targets';
import { writeReport } from './record';
import { summarizeRuns } from './profiles';
import { loadConfig, sessionCookie } from './shop';

const options = readOptions();
const processes = new Processes(options.cpuProfDir);
const want = (key: RunKey) => wants(options, key);

const BENCH_USERS = 5;
const BCRYPT_ROUNDS = 4;
/** The shops' cookie secret: the floor verifies their cookies with it. */
const SHOP_SECRET = crypto.randomBytes(32).toString('hex');

async function main(): Promise<void> {
  const loadAverageAtStart = os.loadavg();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
  try {
    console.log(
      `npm run bench: ${options.connections} connections, ${options.durationSeconds} s per run, ${os.cpus().length} cores, load average ${loadAverageAtStart[0].toFixed(2)}`,
    );
    const engine = await processes.engine(path.join(tempDir, 'db'));
    const uriOf = (database: string) => engine.uri.replace(/\/[^/]*$/, `/${database}`);
    const seed = async (suffix: ShopSize['suffix'], products: number, users: number): Promise<ShopSize> => {
      const database = `shop${suffix.replace('-', '_')}`;
      await mongoose.connect(uriOf(database));
      const seeded = await seedShop({ products, users, bcryptRounds: BCRYPT_ROUNDS });
      await mongoose.disconnect();
      console.log(`engine: ${database} seeded with ${products.toLocaleString('en')} products, ${users} users`);
      return { suffix, uri: uriOf(database), products, users: seeded };
    };
    const big = await seed('', options.products, BENCH_USERS);
    const wantsSmall = RUN_KEYS.some((key) => key.endsWith('-small') && want(key));
    const small = wantsSmall ? await seed('-small', options.smallProducts, 1) : undefined;

    // The shop's own configuration, as its processes read it: its cookie and session lifetimes.
    const config = loadConfig({ NODE_ENV: 'production', MONGODB_URI: big.uri, SESSION_SECRET: SHOP_SECRET });
    const cookie = sessionCookie(config);
    const setup = new RunSetup(processes, {
      wants: want,
      bcryptRounds: BCRYPT_ROUNDS,
      cookieName: cookie.name,
      shopSecret: SHOP_SECRET,
    });
    const shop = await setup.shop(big);
    await setup.aroundTheShop(big, shop, TARGETS.p99Connections);
    shop.browser.close();
    if (small) (await setup.shop(small)).browser.close();

    const chosen = RUN_KEYS.flatMap((key) => setup.scenarios.filter((scenario) => scenario.key === key));
    const results = await runAll(chosen, ALTERNATED, { ...options, processes: processes.pids() });

    // A full run, then: memory and the session lookup.
    const uris = { shop: big.uri, small: uriOf('shop_lookup_small') };
    const memoryPart =
      options.only === undefined
        ? await measureMemoryAndLookups(shop.process, big.users, config, uris, options)
        : undefined;

    const report = newReport({ options, samePages: setup.samePages, results, loadAverageAtStart, ...memoryPart });
    printResults(report);
    writeReport(report, options.record);
    if (options.cpuProfDir) {
      // Each process writes its profile as it exits.
      await processes.stopAll();
      summarizeRuns(options.cpuProfDir, processes.profiled, results);
    }
    const failed = results.filter((r) => problemsOf(r) !== undefined);
    if (failed.length > 0) {
      const problems = failed.map((r) => `(${r.key}) ${problemsOf(r)}`).join('; ');
      throw new Error(`runs with errors or unexpected responses: ${problems}`);
    }
  } finally {
    await processes.stopAll();
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

let interrupted = false;
const stopAndExit = (code: number) => void processes.stopAll().finally(() => process.exit(code));
process.once('SIGINT', () => {
  interrupted = true;
  stopAndExit(130);
});

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (interrupted) return;
    console.error(`\nnpm run bench FAILED: ${error instanceof Error ? error.message : String(error)}`);
    stopAndExit(1);
  },
);
