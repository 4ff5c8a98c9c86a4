/**
 * Pages under load with autocannon, in batches: a batch's pages are each warmed up, then run in
 * rounds, a slice of each page per round, the order turning by one page each round, so that the
 * machine's drift weighs on all of them alike. A page measured alone is a batch of one, one round.
 * Before every slice the bench waits for every process to be idle, and reads the CPU time each
 * spent on the slice from /proc.
 */
import autocannon from 'autocannon';
import { cpuSeconds } from './shop';
import type { RunKey } from './options';

/** One page under load: what to send, and the one status every response must have. */
export interface Scenario {
  key: RunKey;
  label: string;
  /** How many products the database it reads holds. */
  products: number;
  url: string;
  headers: Record<string, string>;
  /** Requests sent in turn by every connection (paths on `url`), instead of GET `url`. */
  requests?: Array<{ method: 'POST'; path: string; body: string }>;
  /** 200 for pages, 302 for the cart's forms. Anything else is a failure. */
  expectedStatus: number;
  /** The process that serves it, by name: its CPU time per request is the figure to compare. */
  server: string;
  /** Whether the database engine takes part (its CPU time per request is added to the server's). */
  usesEngine: boolean;
  /** Connections for this page alone (the p99 run at 20); the run's own by default. */
  connections?: number;
}

export interface ScenarioResult extends Pick<Scenario, 'key' | 'label' | 'products' | 'server' | 'usesEngine'> {
  connections: number;
  /** Measured seconds (no warm-up), and in how many slices: 1 alone, a slice per round in alternation. */
  seconds: number;
  rounds: number;
  requestsPerSecond: number;
  /** Latency of every response (whatever its status), nearest rank, in ms. */
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Connection errors and timeouts (autocannon counts a timeout as an error too). */
  errors: number;
  timeouts: number;
  /** Responses with another status than the expected one (a 403 for a bad CSRF token, a 500...). */
  unexpectedStatus: number;
  statusCodes: Record<string, number>;
  /** CPU ms each process used per request: on a shared machine it moves much less than req/s. */
  cpuMsPerRequest: Record<string, number>;
  /** In alternation: the rate and the p99 of each slice, in the order measured. */
  sliceRequestsPerSecond?: number[];
  sliceP99Ms?: number[];
  /** When each slice ran, [start, end] in µs of process.hrtime, the clock of V8's CPU profiles. */
  windowsUs: Array<[number, number]>;
}

export interface LoadOptions {
  connections: number;
  /** Each page's measured time: in alternation, split into `rounds` slices of whole seconds. */
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** The processes whose CPU time to measure, by name. */
  processes: Record<string, number>;
}

/** What one autocannon run of one page saw; `cpuMs` is what each process spent meanwhile. */
interface Slice {
  windowUs: [number, number];
  seconds: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  latencies: number[];
  cpuMs: Record<string, number>;
}

/** A page of 1,000 products takes seconds under load: slow, not broken. */
const REQUEST_TIMEOUT_SECONDS = 30;

/**
 * Every page, in order: those in `alternated` as one batch (where the first of them comes), the
 * others alone. Prints each page's rate as it goes; returns the results in order.
 */
export async function runAll(
  scenarios: Scenario[],
  alternated: readonly RunKey[],
  options: LoadOptions,
): Promise<ScenarioResult[]> {
  const together = scenarios.filter((scenario) => alternated.includes(scenario.key));
  const results = new Map<Scenario, ScenarioResult>();
  for (const scenario of scenarios) {
    if (results.has(scenario)) continue;
    const batch = together.length > 1 && together.includes(scenario) ? together : [scenario];
    const rounds = batch.length > 1 ? options.rounds : 1;
    const sliceSeconds = Math.max(1, Math.round(options.durationSeconds / rounds));
    const what =
      batch.length > 1
        ? `${batch.map((s) => `(${s.key})`).join(', ')} in alternation`
        : `(${scenario.key}) ${scenario.label}`;
    console.log(`${what}: ${rounds} x ${sliceSeconds} s ...`);
    const merged = await runBatch(batch, rounds, sliceSeconds, options);
    batch.forEach((s, i) => results.set(s, merged[i]));
    for (const r of merged) {
      const problems = problemsOf(r);
      console.log(
        `  (${r.key}) ${r.label}: ${Math.round(r.requestsPerSecond)} req/s, p99 ${r.p99Ms} ms${problems ? `  FAILED: ${problems}` : ''}`,
      );
    }
  }
  return scenarios.map((scenario) => results.get(scenario)!);
}

async function runBatch(batch: Scenario[], rounds: number, sliceSeconds: number, options: LoadOptions) {
  for (const scenario of batch) {
    if (options.warmupSeconds <= 0) continue;
    // JIT, pools, the view cache; a warm-up may be too short for a slow page to answer at all.
    const warmup = merge(scenario, options, [await measure(scenario, options, options.warmupSeconds, {})]);
    if (warmup.requests > 0 && problemsOf(warmup)) throw new Error(`(${scenario.key}) warm-up: ${problemsOf(warmup)}`);
  }
  const slices = new Map<Scenario, Slice[]>(batch.map((scenario) => [scenario, []]));
  for (let round = 0; round < rounds; round++) {
    const turn = round % batch.length;
    for (const scenario of [...batch.slice(turn), ...batch.slice(0, turn)])
      slices.get(scenario)!.push(await measure(scenario, options, sliceSeconds, options.processes));
  }
  return batch.map((scenario) => merge(scenario, options, slices.get(scenario)!));
}

async function measure(
  scenario: Scenario,
  options: LoadOptions,
  seconds: number,
  processes: Record<string, number>,
): Promise<Slice> {
  await settle(Object.values(options.processes));
  const cpuBefore = Object.entries(processes).map(([name, pid]) => [name, pid, cpuMs(pid)] as const);
  const latencies: number[] = [];
  const startedUs = nowUs();
  const run = autocannon({
    url: scenario.url,
    headers: scenario.headers,
    requests: scenario.requests,
    connections: scenario.connections ?? options.connections,
    timeout: REQUEST_TIMEOUT_SECONDS,
    duration: seconds,
  });
  // Every response, 3xx included (autocannon's own histogram keeps only the 2xx).
  run.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await run;
  return {
    windowUs: [startedUs, nowUs()],
    seconds: result.duration,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    errors: result.errors,
    timeouts: result.timeouts,
    latencies,
    cpuMs: Object.fromEntries(cpuBefore.map(([name, pid, before]) => [name, cpuMs(pid) - before])),
  };
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** CPU time a process has used so far, in ms (Linux: NaN elsewhere). */
const cpuMs = (pid: number) => (cpuSeconds(pid) ?? NaN) * 1000;

const SETTLE_STEP_MS = 200;
/** Below this share of one core over a step, a process counts as idle. */
const IDLE_SHARE = 0.05;
const SETTLE_MAX_MS = 5_000;

/**
 * Waits until every process is idle. When autocannon stops, the server still works through the
 * requests it had (50 at 5 ms of CPU each is a quarter of a second, and the engine's commands for
 * them): without this, the next page's first requests would queue behind that work, its p99
 * would carry it, and the engine's share of it would count for the wrong page.
 */
async function settle(pids: number[]): Promise<void> {
  const deadline = Date.now() + SETTLE_MAX_MS;
  let before = pids.map(cpuMs);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS));
    const now = pids.map(cpuMs);
    if (!now.some((ms, i) => ms - before[i] > SETTLE_STEP_MS * IDLE_SHARE)) return;
    before = now;
  }
}

function merge(scenario: Scenario, options: LoadOptions, slices: Slice[]): ScenarioResult {
  const sum = (value: (slice: Slice) => number) => slices.reduce((total, slice) => total + value(slice), 0);
  const answered = (slice: Slice) => Object.values(slice.statusCodes).reduce((total, count) => total + count, 0);
  const statusCodes: Record<string, number> = {};
  for (const slice of slices)
    for (const [code, count] of Object.entries(slice.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const latencies = slices.flatMap((slice) => slice.latencies).sort((x, y) => x - y);
  const requests = sum(answered);
  const seconds = sum((slice) => slice.seconds);
  const perRequest = (ms: number) => (requests > 0 ? ms / requests : 0);
  const alternated = slices.length > 1;
  return {
    key: scenario.key,
    label: scenario.label,
    products: scenario.products,
    server: scenario.server,
    usesEngine: scenario.usesEngine,
    connections: scenario.connections ?? options.connections,
    seconds,
    rounds: slices.length,
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    requests,
    errors: sum((slice) => slice.errors),
    timeouts: sum((slice) => slice.timeouts),
    unexpectedStatus: requests - (statusCodes[String(scenario.expectedStatus)] ?? 0),
    statusCodes,
    cpuMsPerRequest: Object.fromEntries(
      Object.keys(slices[0].cpuMs).map((name) => [name, perRequest(sum((slice) => slice.cpuMs[name] ?? 0))]),
    ),
    sliceRequestsPerSecond: alternated ? slices.map((slice) => answered(slice) / slice.seconds) : undefined,
    sliceP99Ms: alternated
      ? slices.map((slice) =>
          percentile(
            [...slice.latencies].sort((x, y) => x - y),
            0.99,
          ),
        )
      : undefined,
    windowsUs: slices.map((slice) => slice.windowUs),
  };
}

/** Nearest rank of sorted values, to 0.1 ms; 0 for none. */
function percentile(sorted: number[], share: number): number {
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? 0;
  return Math.round(value * 10) / 10;
}

/** Timeouts are slowness, which the figures show; no answer, errors and wrong answers mean the run is wrong. */
export function problemsOf(result: ScenarioResult): string | undefined {
  if (result.requests === 0) return 'no response at all';
  if (result.errors === result.timeouts && result.unexpectedStatus === 0) return undefined;
  return `${result.errors - result.timeouts} errors, status codes ${JSON.stringify(result.statusCodes)}`;
}
