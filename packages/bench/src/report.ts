import type { ScenarioResult } from './load-run';
import type { LookupTiming } from './sessions';

/** The issues' targets: issue 6 (Performance), and the peers' (the course's pattern, passport). */
export const TARGETS = {
  /** (c) against the ceiling (a), req/s. */
  loggedInListRatio: 0.5,
  /** (c)'s p99 at `p99Connections` connections (the (c20) run). */
  loggedInListP99Ms: 50,
  p99Connections: 20,
  /** (e) against (a), req/s. */
  addToCartRatio: 0.3,
  memoryGrowthMB: 30,
  lookupRatio: 1.5,
  /** (c) against each peer, (g) and (h), req/s in the same run, in alternation. */
  peerRatio: 2,
  /** (c) against (b), the same page anonymous, req/s in the same run, in alternation. */
  anonymousRatio: 0.6,
} as const;

export interface Verdict {
  what: string;
  value: string;
  target: string;
  pass: boolean;
}

/** (c) against another page of the same run. */
export interface Comparison {
  of: string;
  against: string;
  /** (c)'s req/s divided by the other's. */
  requestsRatio: number;
  /** The other's CPU ms per request (its server + the engine) divided by (c)'s: the drift-proof figure. */
  cpuRatio: number;
  /** Whether both were measured in the same alternation (slices in turn) rather than one after the other. */
  alternated: boolean;
}

export interface BenchReport {
  date: string;
  /** The commit measured, and whether the work tree had changes to tracked files. */
  commit?: string;
  dirty?: boolean;
  /** The load averages (1, 5, 15 minutes) when the run began and when it ended: others' work on the machine. */
  machine: { cpus: number; cpuModel?: string; node: string; loadAverageAtStart: number[]; loadAverage: number[] };
  options: Record<string, unknown>;
  scenarios: ScenarioResult[];
  comparisons: Comparison[];
  memory?: {
    visitors: number;
    logins: number;
    sessionsInMongoDB: { before: number; after: number };
    seconds: number;
    rssBeforeMB: number;
    rssAfterMB: number;
    growthMB: number;
  };
  lookups?: { small: LookupTiming; big: LookupTiming; ratio: number };
  targets: typeof TARGETS;
  verdicts: Verdict[];
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(0)}%`;

/** CPU ms per request of a page: its server's, plus the engine's when it takes part. */
export function totalCpuMs(r: ScenarioResult): number {
  return (r.cpuMsPerRequest[r.server] ?? NaN) + (r.usesEngine ? (r.cpuMsPerRequest['embedded engine'] ?? NaN) : 0);
}

/** (c) against (b), (g) and (h), those of them that ran. */
export function comparisons(scenarios: ScenarioResult[]): Comparison[] {
  const list = scenarios.find((s) => s.key === 'c');
  if (!list) return [];
  return ['b', 'g', 'h'].flatMap((key) => {
    const other = scenarios.find((s) => s.key === key);
    if (!other) return [];
    return [
      {
        of: 'c',
        against: key,
        requestsRatio: list.requestsPerSecond / other.requestsPerSecond,
        cpuRatio: totalCpuMs(other) / totalCpuMs(list),
        alternated: list.rounds > 1 && other.rounds === list.rounds,
      },
    ];
  });
}

export function verdicts(report: BenchReport): Verdict[] {
  const out: Verdict[] = [];
  const run = (key: string) => report.scenarios.find((s) => s.key === key);
  const list = run('c');
  const cart = run('e');
  if (list?.ratioToCeiling !== undefined) {
    out.push({
      what: '(c) GET /products logged in, req/s vs (a)',
      value: percent(list.ratioToCeiling),
      target: `≥ ${percent(TARGETS.loggedInListRatio)}`,
      pass: list.ratioToCeiling >= TARGETS.loggedInListRatio,
    });
  }
  for (const comparison of report.comparisons) {
    const target = comparison.against === 'b' ? TARGETS.anonymousRatio : TARGETS.peerRatio;
    out.push({
      what: `(c)/(${comparison.against}) req/s${comparison.alternated ? ', in alternation' : ''}`,
      value: `${comparison.requestsRatio.toFixed(2)}x`,
      target: `≥ ${target}x`,
      pass: comparison.requestsRatio >= target,
    });
  }
  // The p99 target is set at 20 connections: the (c20) run, or (c) when it ran at 20.
  const p99Run = run('c20') ?? list;
  if (p99Run) {
    out.push({
      what: `(c) GET /products logged in, p99 at ${p99Run.connections} connections`,
      value: `${p99Run.p99Ms} ms`,
      target: `< ${TARGETS.loggedInListP99Ms} ms at ${TARGETS.p99Connections}`,
      pass: p99Run.p99Ms < TARGETS.loggedInListP99Ms && p99Run.connections <= TARGETS.p99Connections,
    });
  }
  if (cart?.ratioToCeiling !== undefined) {
    out.push({
      what: '(e) POST /cart logged in, req/s vs (a)',
      value: percent(cart.ratioToCeiling),
      target: `≥ ${percent(TARGETS.addToCartRatio)}`,
      pass: cart.ratioToCeiling >= TARGETS.addToCartRatio,
    });
  }
  if (report.memory) {
    out.push({
      what: `shop RSS growth over ${report.memory.visitors.toLocaleString('en')} visitors, ${report.memory.logins.toLocaleString('en')} logins`,
      value: `${report.memory.growthMB.toFixed(1)} MB`,
      target: `< ${TARGETS.memoryGrowthMB} MB`,
      pass: report.memory.growthMB < TARGETS.memoryGrowthMB,
    });
  }
  if (report.lookups) {
    const { small, big, ratio } = report.lookups;
    out.push({
      what: `session lookup, ${big.sessions.toLocaleString('en')} vs ${small.sessions.toLocaleString('en')} sessions`,
      value: ratio.toFixed(2),
      target: `≤ ${TARGETS.lookupRatio}`,
      pass: ratio <= TARGETS.lookupRatio,
    });
  }
  return out;
}

/** The CPU time of the process that served the run, and of the engine when it took part. */
function cpuPerRequest(r: ScenarioResult): string {
  const server = r.cpuMsPerRequest[r.server];
  const engine = r.usesEngine ? r.cpuMsPerRequest['embedded engine'] : undefined;
  if (server === undefined) return '';
  return engine === undefined ? server.toFixed(2) : `${server.toFixed(2)}+${engine.toFixed(2)}`;
}

export function printResults(report: BenchReport): void {
  console.log('');
  const header = [
    'run'.padEnd(44),
    'conn'.padStart(4),
    'req/s'.padStart(8),
    'p50 ms'.padStart(7),
    'p99 ms'.padStart(7),
    'vs (a)'.padStart(7),
    'CPU ms/req'.padStart(11),
    '  errors / timeouts / unexpected status',
  ];
  console.log(header.join(' '));
  for (const r of report.scenarios) {
    console.log(
      [
        `(${r.key}) ${r.label}`.padEnd(44),
        String(r.connections).padStart(4),
        Math.round(r.requestsPerSecond).toString().padStart(8),
        String(r.p50Ms).padStart(7),
        String(r.p99Ms).padStart(7),
        (r.ratioToCeiling === undefined ? '' : percent(r.ratioToCeiling)).padStart(7),
        cpuPerRequest(r).padStart(11),
        `  ${r.errors - r.timeouts} / ${r.timeouts} / ${r.unexpectedStatus}`,
      ].join(' '),
    );
  }
  const alternated = report.scenarios.filter((r) => r.rounds > 1);
  if (alternated.length > 0) {
    const { rounds, seconds } = alternated[0];
    console.log(
      `\nin alternation: ${alternated.map((r) => `(${r.key})`).join(', ')}, ${rounds} rounds of ${Math.round(seconds / rounds)} s each, the order turning each round`,
    );
  }
  for (const c of report.comparisons) {
    console.log(
      `(c)/(${c.against}): req/s ${c.requestsRatio.toFixed(2)}x; CPU ms per request (${c.against})/(c) ${c.cpuRatio.toFixed(2)}x${c.alternated ? '' : ' (not in alternation)'}`,
    );
  }
  if (report.memory) {
    const m = report.memory;
    console.log(
      `\nmemory: shop RSS ${m.rssBeforeMB.toFixed(1)} MB before, ${m.rssAfterMB.toFixed(1)} MB after ${m.visitors.toLocaleString('en')} fresh visitors ` +
        `(${m.logins.toLocaleString('en')} of them logged in) ` +
        `(${m.seconds.toFixed(0)} s); sessions in MongoDB ${m.sessionsInMongoDB.before.toLocaleString('en')} → ${m.sessionsInMongoDB.after.toLocaleString('en')}`,
    );
  }
  if (report.lookups) {
    const { small, big } = report.lookups;
    const line = (t: LookupTiming) =>
      `${t.sessions.toLocaleString('en')} sessions: median ${t.medianMs.toFixed(3)} ms, mean ${t.meanMs.toFixed(3)} ms, p99 ${t.p99Ms.toFixed(3)} ms`;
    console.log(
      `session lookup (store.get, ${small.lookups} one at a time on each, alternating): ${line(small)}; ${line(big)}`,
    );
  }
  console.log(
    'CPU ms/req: the serving process (+ the engine) per request, the figure to compare between runs on a busy machine.',
  );
  console.log(
    `load average (1 min) ${report.machine.loadAverageAtStart[0].toFixed(2)} at the start, ${report.machine.loadAverage[0].toFixed(2)} at the end, on ${report.machine.cpus} cores.`,
  );
  console.log('');
  for (const v of report.verdicts)
    console.log(`${v.pass ? 'PASS' : 'FAIL'}  ${v.what}: ${v.value} (target ${v.target})`);
}
