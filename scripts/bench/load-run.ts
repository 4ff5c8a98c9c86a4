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
}

export interface ScenarioResult {
  key: string;
  label: string;
  requestsPerSecond: number;
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
  /** Filled in once the ceiling is known. */
  ratioToCeiling?: number;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** The processes whose CPU time to measure, by name. */
  processes: Record<string, number>;
}

const REQUEST_TIMEOUT_SECONDS = 30;

/** A short warm-up (JIT, pools, view cache), then the measured run; both must see only the expected status. */
export async function runScenario(scenario: Scenario, options: LoadOptions): Promise<ScenarioResult> {
  const request = {
    url: scenario.url,
    method: scenario.method ?? 'GET',
    headers: scenario.headers,
    body: scenario.body,
    connections: options.connections,
    // A page of 1,000 products takes seconds under load: slow, not broken.
    timeout: REQUEST_TIMEOUT_SECONDS,
  };
  if (options.warmupSeconds > 0) {
    const warmup = summarize(scenario, await autocannon({ ...request, duration: options.warmupSeconds }));
    assertClean(warmup, 'warm-up');
  }
  const cpuBefore = Object.entries(options.processes).map(([name, pid]) => [name, pid, cpuMs(pid)] as const);
  const result = summarize(scenario, await autocannon({ ...request, duration: options.durationSeconds }));
  for (const [name, pid, before] of cpuBefore) {
    result.cpuMsPerRequest[name] = result.requests > 0 ? (cpuMs(pid) - before) / result.requests : 0;
  }
  return result;
}

/** CPU time a process has used so far, in ms (Linux: NaN elsewhere). */
function cpuMs(pid: number): number {
  return (cpuSeconds(pid) ?? NaN) * 1000;
}

function summarize(scenario: Scenario, result: autocannon.Result): ScenarioResult {
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const answered = Object.values(statusCodes).reduce((sum, count) => sum + count, 0);
  return {
    key: scenario.key,
    label: scenario.label,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    averageMs: result.latency.average,
    requests: answered,
    errors: result.errors,
    timeouts: result.timeouts,
    unexpectedStatus: answered - (statusCodes[String(scenario.expectedStatus)] ?? 0),
    statusCodes,
    cpuMsPerRequest: {},
  };
}

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
