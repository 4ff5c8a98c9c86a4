/**
 * Every request of the load test: how long it took, and whether it ended as the scenario expects.
 * A request "fails" when it got no answer, or an answer the scenario did not design for.
 */

export interface Failure {
  label: string;
  what: string;
  /** The status, when there was an answer. */
  status?: number;
  /** When the request was sent and when it failed (ms since the epoch): was it in flight at a kill? */
  startedAt?: number;
  endedAt?: number;
}

interface StepFigures {
  count: number;
  latencies: number[];
}

export class Recorder {
  private readonly latencies: number[] = [];
  private readonly steps = new Map<string, StepFigures>();
  readonly failures: Failure[] = [];
  /** Answers the scenario asked for on purpose (a wrong password's 422): counted, not failures. */
  expectedRefusals = 0;
  /** Adds to the cart refused because the stock could not cover them (409, by design). */
  refusedAdds = 0;
  /** Orders refused because a line was short of stock (the checkout again, 409, by design). */
  shortOrders = 0;
  /** Requests per shop process that answered (its X-Shop-Process header), when the processes name themselves. */
  readonly servedBy = new Map<string, number>();
  /** For each shopper, the processes that served it. */
  readonly processesOf = new Map<string, Set<string>>();

  record(label: string, ms: number): void {
    this.latencies.push(ms);
    const step = this.steps.get(label) ?? { count: 0, latencies: [] };
    step.count++;
    step.latencies.push(ms);
    this.steps.set(label, step);
  }

  fail(label: string, what: string, details: Omit<Failure, 'label' | 'what'> = {}): void {
    this.failures.push({ label, what, ...details });
  }

  /** `process` (an X-Shop-Process header) answered one of `shopper`'s requests. */
  servedByProcess(shopper: string, process: string): void {
    this.servedBy.set(process, (this.servedBy.get(process) ?? 0) + 1);
    const seen = this.processesOf.get(shopper) ?? new Set<string>();
    seen.add(process);
    this.processesOf.set(shopper, seen);
  }

  get requests(): number {
    return this.latencies.length;
  }

  summary(elapsedMs: number): { requests: number; perSecond: number; p50: number; p99: number; errors: number } {
    return {
      requests: this.requests,
      perSecond: this.requests / (elapsedMs / 1000),
      p50: percentile(this.latencies, 50),
      p99: percentile(this.latencies, 99),
      errors: this.failures.length,
    };
  }

  /** One line per step: count, p50, p99 (ms). */
  stepTable(): string[] {
    const rows = [...this.steps].sort(([a], [b]) => a.localeCompare(b));
    const width = Math.max(...rows.map(([label]) => label.length), 4);
    return [
      `${'step'.padEnd(width)}  ${'count'.padStart(7)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}`,
      ...rows.map(
        ([label, step]) =>
          `${label.padEnd(width)}  ${String(step.count).padStart(7)}  ${percentile(step.latencies, 50).toFixed(1).padStart(8)}  ${percentile(step.latencies, 99).toFixed(1).padStart(8)}`,
      ),
    ];
  }
}

/** Nearest-rank percentile; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
