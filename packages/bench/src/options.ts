import path from 'node:path';
import { parseArgs } from 'node:util';

/** Every run, in the order they go (the alternated ones together, at the first of them). */
export const RUN_KEYS = ['a', 'b', 'c', 'f', 'g', 'h', 'c-small', 'g-small', 'h-small', 'd', 'e', 'c20'] as const;
export type RunKey = (typeof RUN_KEYS)[number];
/** Measured in alternation, slice by slice, so that the machine's drift weighs on all alike. */
export const ALTERNATED: readonly RunKey[] = ['a', 'b', 'c', 'f', 'g', 'h', 'c-small', 'g-small', 'h-small'];

export type BenchOptions = ReturnType<typeof readOptions>;

const USAGE =
  'usage: npm run bench -- [--duration 10] [--connections 50] [--rounds 5] [--warmup 6] [--products 1000] ' +
  '[--small-products 12] [--sessions 50000] [--login-every 5] [--lookup-sessions 100000] [--quick] ' +
  `[--only ${RUN_KEYS.join(',')}] [--cpu-prof DIR] [--record]`;

/** The command line (docs/performance.md); exits with the usage on --help, or a message and 2 on a bad value. */
export function readOptions(argv = process.argv.slice(2)) {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      products: { type: 'string' },
      'small-products': { type: 'string' },
      sessions: { type: 'string' },
      'lookup-sessions': { type: 'string' },
      'login-every': { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
      record: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (args.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (name: keyof typeof args, fallback: number, min: number, max: number): number => {
    const raw = args[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      fail(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    return value;
  };
  const only = args.only?.split(',').map((key) => key.trim());
  const unknown = only?.filter((key) => !isRunKey(key)) ?? [];
  if (unknown.length > 0) fail(`--only: no run ${unknown.join(', ')} (the runs: ${RUN_KEYS.join(', ')})`);
  const quick = args.quick;
  return {
    durationSeconds: count('duration', quick ? 3 : 10, 1, 600),
    connections: count('connections', 50, 1, 1000),
    rounds: count('rounds', quick ? 3 : 5, 1, 100),
    // A 2 s warm-up left the servers still speeding up through the first round of the alternation
    // (the rate of (c) and (g) grew round by round, by half); after 6 s it did not.
    warmupSeconds: count('warmup', quick ? 2 : 6, 0, 600),
    // The big shop's products (the runs without `-small`), and the small shop's.
    products: count('products', 1_000, 1, 100_000),
    smallProducts: count('small-products', 12, 1, 100_000),
    // The per-address login limit the bench gives the shop allows at most 100,000 a minute.
    sessions: count('sessions', quick ? 5_000 : 50_000, 0, 90_000),
    loginEvery: count('login-every', 5, 1, 1_000_000),
    lookupSessions: count('lookup-sessions', quick ? 10_000 : 100_000, 1_000, 1_000_000),
    // The runs asked for; all of them, and the memory part, when undefined.
    only: only?.filter(isRunKey),
    cpuProfDir: args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined,
    record: args.record,
  };
}

const isRunKey = (key: string): key is RunKey => (RUN_KEYS as readonly string[]).includes(key);

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

export const wants = (options: BenchOptions, key: RunKey) => !options.only || options.only.includes(key);
