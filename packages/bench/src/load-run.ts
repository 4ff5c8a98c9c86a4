import autocannon from 'autocannon';
import { cpuSeconds } from '../../tools/processes';

/** One page under load: what to send, and the one status every response must have. */
export interface Scenario {
  key: string;
  label: string;
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** 200 for pages, 302 for POST /cart (its redirect to /cart). Anything else is a failure. */
  expectedStatus: number;
  /** The process that serves it, by name: its CPU time per request is the figure to compare. */
  server: string;
  /** Whether the database engine takes part (its CPU time per request is added to the server's). */
  usesEngine: boolean;
  /** Connections for this page alone (the p99 run at 20); the run's own by default. */
  connections?: number;
}

export interface ScenarioResult {
  key: string;
  label: string;
  server: string;
  usesEngine: boolean;
  connections: number;
  /** Measured seconds in all (warm-up not included). */
  seconds: number;
  /** 1 for a run of its own; more when measured in alternation with other pages, a slice per round. */
  rounds: number;
  requestsPerSecond: number;
  /** Latency of every response (whatever its status), nearest rank, in ms. */
  p50Ms: number;
  p99Ms: number;
  averageMs: number;
  requests: number;
  /** Connection errors and timeouts (autocannon counts a timeout as an error too). */
  errors: number;
  timeouts: number;
  /** Responses with another status than the expected one (a 403 for a bad CSRF token, a 500...). */
  unexpectedStatus: number;
  statusCodes: Record<string, number>;
  /**
   * CPU time each process used per request during the measured run (ms): on a shared machine this
   * moves much less than requests per second, so it is what to compare before and after a change.
   */
  cpuMsPerRequest: Record<string, number>;
  /** In alternation: the rate and the p99 of each slice, in the order measured. */
  sliceRequestsPerSecond?: number[];
  sliceP99Ms?: number[];
  /**
   * When each measured slice ran, [start, end] in µs of the monotonic clock (process.hrtime), the
   * clock of V8's CPU profiles: a profile's samples of this page are those inside these windows.
   */
  windowsUs: Array<[number, number]>;
  /** Filled in once the ceiling is known. */
  ratioToCeiling?: number;
}

export interface LoadOptions {
  connections: number;
  /** Each page's measured time: in alternation, split into `rounds` slices. */
  durationSeconds: number;
  warmupSeconds: number;
  /** The processes whose CPU time to measure, by name. */
  processes: Record<string, number>;
}

/** What one autocannon run of one page saw. */
interface Slice {
  windowUs: [number, number];
  seconds: number;
  answered: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencies: number[];
  cpuMs: Record<string, number>;
}

const REQUEST_TIMEOUT_SECONDS = 30;

/** A short warm-up (JIT, pools, view cache), then the measured run; both must see only the expected status. */
export async function runScenario(scenario: Scenario, options: LoadOptions): Promise<ScenarioResult> {
  await warmUp(scenario, options);
  return merge(scenario, options, [await measure(scenario, options, options.durationSeconds)]);
}

/**
 * Several pages measured in alternation, so that the machine's drift weighs on each alike: each
 * is warmed up, then `rounds` rounds run every page for a slice of `durationSeconds / rounds`
 * (whole seconds: autocannon stops on a whole second), the order turning by one page each round.
 * Each page's figures are those of all its slices together.
 */
export async function runAlternating(
  scenarios: Scenario[],
  options: LoadOptions & { rounds: number },
  onSlice: (scenario: Scenario, round: number, requestsPerSecond: number) => void = () => {},
): Promise<ScenarioResult[]> {
  const sliceSeconds = Math.max(1, Math.round(options.durationSeconds / options.rounds));
  for (const scenario of scenarios) await warmUp(scenario, options);
  const slices = new Map<Scenario, Slice[]>(scenarios.map((scenario) => [scenario, []]));
  for (let round = 0; round < options.rounds; round++) {
    const turn = round % scenarios.length;
    for (const scenario of [...scenarios.slice(turn), ...scenarios.slice(0, turn)]) {
      const slice = await measure(scenario, options, sliceSeconds);
      slices.get(scenario)!.push(slice);
      onSlice(scenario, round, slice.answered / slice.seconds);
    }
  }
  return scenarios.map((scenario) => merge(scenario, options, slices.get(scenario)!));
}

async function warmUp(scenario: Scenario, options: LoadOptions): Promise<void> {
  if (options.warmupSeconds <= 0) return;
  const warmup = merge(scenario, { ...options, processes: {} }, [
    await measure(scenario, { ...options, processes: {} }, options.warmupSeconds),
  ]);
  assertClean(warmup, 'warm-up');
}

async function measure(scenario: Scenario, options: LoadOptions, seconds: number): Promise<Slice> {
  await settle(options.processes);
  const cpuBefore = Object.entries(options.processes).map(([name, pid]) => [name, pid, cpuMs(pid)] as const);
  const latencies: number[] = [];
  const startedUs = nowUs();
  const run = autocannon({
    url: scenario.url,
    method: scenario.method ?? 'GET',
    headers: scenario.headers,
    body: scenario.body,
    connections: scenario.connections ?? options.connections,
    // A page of 1,000 products takes seconds under load: slow, not broken.
    timeout: REQUEST_TIMEOUT_SECONDS,
    duration: seconds,
  });
  // Every response, 3xx included (autocannon's own histogram keeps only the 2xx).
  run.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await run;
  const windowUs: [number, number] = [startedUs, nowUs()];
  const cpuMsUsed: Record<string, number> = {};
  for (const [name, pid, before] of cpuBefore) cpuMsUsed[name] = cpuMs(pid) - before;
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  return {
    windowUs,
    seconds: result.duration,
    answered: Object.values(statusCodes).reduce((sum, count) => sum + count, 0),
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencies,
    cpuMs: cpuMsUsed,
  };
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

const SETTLE_STEP_MS = 200;
/** Below this share of one core over a step, a process counts as idle. */
const IDLE_SHARE = 0.05;
const SETTLE_MAX_MS = 5_000;

/**
 * Waits until every process is idle. When autocannon stops it closes its connections, but the
 * server still works through the requests it had (50 at 5 ms of CPU each is a quarter of a second,
 * and the engine's commands for them): without this, the next page's first requests would queue
 * behind that work, its p99 would carry it, and the engine's share of it would count for the
 * wrong page.
 */
async function settle(processes: Record<string, number>): Promise<void> {
  const pids = Object.values(processes);
  const deadline = Date.now() + SETTLE_MAX_MS;
  let before = pids.map(cpuMs);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS));
    const now = pids.map(cpuMs);
    const busy = now.some((ms, i) => ms - before[i] > SETTLE_STEP_MS * IDLE_SHARE);
    if (!busy) return;
    before = now;
  }
}

/** CPU time a process has used so far, in ms (Linux: NaN elsewhere). */
function cpuMs(pid: number): number {
  return (cpuSeconds(pid) ?? NaN) * 1000;
}

function merge(scenario: Scenario, options: LoadOptions, slices: Slice[]): ScenarioResult {
  const sum = (value: (slice: Slice) => number) => slices.reduce((total, slice) => total + value(slice), 0);
  const statusCodes: Record<string, number> = {};
  for (const slice of slices)
    for (const [code, count] of Object.entries(slice.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const latencies = slices.flatMap((slice) => slice.latencies).sort((x, y) => x - y);
  const requests = sum((slice) => slice.answered);
  const seconds = sum((slice) => slice.seconds);
  const cpuMsPerRequest: Record<string, number> = {};
  for (const name of Object.keys(options.processes))
    cpuMsPerRequest[name] = requests > 0 ? sum((slice) => slice.cpuMs[name] ?? 0) / requests : 0;
  return {
    key: scenario.key,
    label: scenario.label,
    server: scenario.server,
    usesEngine: scenario.usesEngine,
    connections: scenario.connections ?? options.connections,
    seconds,
    rounds: slices.length,
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    averageMs: latencies.length > 0 ? round1(latencies.reduce((total, ms) => total + ms, 0) / latencies.length) : 0,
    requests,
    errors: sum((slice) => slice.errors),
    timeouts: sum((slice) => slice.timeouts),
    unexpectedStatus: requests - (statusCodes[String(scenario.expectedStatus)] ?? 0),
    statusCodes,
    cpuMsPerRequest,
    sliceRequestsPerSecond: slices.length > 1 ? slices.map((slice) => slice.answered / slice.seconds) : undefined,
    sliceP99Ms:
      slices.length > 1
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
  if (sorted.length === 0) return 0;
  return round1(sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]);
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

export function problemsOf(result: ScenarioResult, phase = 'run'): string | undefined {
  // A warm-up may be too short for a slow page to answer at all; a measured run may not.
  if (result.requests === 0 && phase === 'run') return 'no response at all';
  // Timeouts are slowness, which the figures show; errors and wrong answers mean the run is wrong.
  if (result.errors === result.timeouts && result.unexpectedStatus === 0) return undefined;
  return `${result.errors - result.timeouts} errors, status codes ${JSON.stringify(result.statusCodes)}`;
}

export function assertClean(result: ScenarioResult, phase = 'run'): void {
  const problems = problemsOf(result, phase);
  if (problems) throw new Error(`(${result.key}) ${result.label}, ${phase}: ${problems}`);
}
