import type { ScenarioResult } from './load-run';
import type { LookupTiming } from './sessions';

/** The targets (issue 6, Performance). */
export const TARGETS = {
  loggedInListRatio: 0.5,
  loggedInListP99Ms: 50,
  addToCartRatio: 0.3,
  memoryGrowthMB: 30,
  lookupRatio: 1.5,
} as const;

export interface Verdict {
  what: string;
  value: string;
  target: string;
  pass: boolean;
}

export interface BenchReport {
  date: string;
  machine: { cpus: number; cpuModel?: string; node: string; loadAverage: number[] };
  options: Record<string, unknown>;
  scenarios: ScenarioResult[];
  memory?: {
    sessionsCreated: number;
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
  if (list) {
    out.push({
      what: '(c) GET /products logged in, p99',
      value: `${list.p99Ms} ms`,
      target: `< ${TARGETS.loggedInListP99Ms} ms`,
      pass: list.p99Ms < TARGETS.loggedInListP99Ms,
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
      what: `shop RSS growth over ${report.memory.sessionsCreated.toLocaleString('en')} sessions`,
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
  const server = { a: r.cpuMsPerRequest.ceiling, f: r.cpuMsPerRequest.floor }[r.key] ?? r.cpuMsPerRequest.shop;
  const engine = r.key === 'a' ? undefined : r.cpuMsPerRequest['embedded engine'];
  if (server === undefined) return '';
  return engine === undefined ? server.toFixed(2) : `${server.toFixed(2)}+${engine.toFixed(2)}`;
}

export function printResults(report: BenchReport): void {
  console.log('');
  const header = [
    'run'.padEnd(38),
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
        `(${r.key}) ${r.label}`.padEnd(38),
        Math.round(r.requestsPerSecond).toString().padStart(8),
        String(r.p50Ms).padStart(7),
        String(r.p99Ms).padStart(7),
        (r.ratioToCeiling === undefined ? '' : percent(r.ratioToCeiling)).padStart(7),
        cpuPerRequest(r).padStart(11),
        `  ${r.errors - r.timeouts} / ${r.timeouts} / ${r.unexpectedStatus}`,
      ].join(' '),
    );
  }
  if (report.memory) {
    const m = report.memory;
    console.log(
      `\nmemory: shop RSS ${m.rssBeforeMB.toFixed(1)} MB before, ${m.rssAfterMB.toFixed(1)} MB after ${m.sessionsCreated.toLocaleString('en')} new sessions ` +
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
  console.log('');
  for (const v of report.verdicts)
    console.log(`${v.pass ? 'PASS' : 'FAIL'}  ${v.what}: ${v.value} (target ${v.target})`);
}
