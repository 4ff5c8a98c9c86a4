/**
 * The issues' targets, and how a run is judged against them: pages compared in pairs (the shop
 * against its ceiling, its floor, its anonymous page and its peers), then PASS or FAIL for each.
 */
import type { ScenarioResult } from './load-run';
import type { MemoryPart } from './memory';
import type { RunKey } from './options';

export const TARGETS = {
  // issue 25: a lean request path.
  /** (b) against the ceiling (a), req/s. */
  anonymousOfCeiling: 0.75,
  /** (c) against (b), req/s. */
  loggedInOfAnonymous: 0.6,
  /** (c) against each peer, at both sizes: times their req/s, and times less CPU per request. */
  peerRequestsRatio: 2,
  peerCpuRatio: 2,
  /** (c)'s p99 at `p99Connections` connections (the (c20) run). */
  loggedInP99Ms: 50,
  p99Connections: 20,
  // issue 6: performance.
  /** (c) and (e) against the ceiling (a), req/s. */
  loggedInOfCeiling: 0.5,
  addToCartOfCeiling: 0.3,
  memoryGrowthMB: 30,
  lookupRatio: 1.5,
} as const;

/** One page against another of the same run. */
export interface Comparison {
  of: RunKey;
  against: RunKey;
  /** `of`'s req/s divided by `against`'s. */
  requestsRatio: number;
  /** `against`'s CPU ms per request (its server + the engine) divided by `of`'s: how many times cheaper `of` is. */
  cpuRatio: number;
  /** Whether both were measured in the same alternation (slices in turn) rather than one after the other. */
  alternated: boolean;
  /** The target for each ratio, if it sets one. */
  targets: { requests?: number; cpu?: number };
}

/** The pairs compared, when both ran. */
const PAIRS: Array<Pick<Comparison, 'of' | 'against' | 'targets'>> = [
  { of: 'b', against: 'a', targets: { requests: TARGETS.anonymousOfCeiling } },
  { of: 'c', against: 'f', targets: {} },
  { of: 'c', against: 'b', targets: { requests: TARGETS.loggedInOfAnonymous } },
  ...(['g', 'h', 'g-small', 'h-small'] as const).map((peer) => ({
    of: peer.endsWith('-small') ? ('c-small' as const) : ('c' as const),
    against: peer,
    targets: { requests: TARGETS.peerRequestsRatio, cpu: TARGETS.peerCpuRatio },
  })),
];

export interface Verdict {
  what: string;
  value: string;
  target: string;
  pass: boolean;
}

/** CPU ms per request of a page: its server's, plus the engine's when it takes part. */
export function totalCpuMs(r: ScenarioResult): number {
  return (r.cpuMsPerRequest[r.server] ?? NaN) + (r.usesEngine ? (r.cpuMsPerRequest['embedded engine'] ?? NaN) : 0);
}

export function comparisons(scenarios: ScenarioResult[]): Comparison[] {
  const run = (key: RunKey) => scenarios.find((s) => s.key === key);
  return PAIRS.flatMap(({ of, against, targets }) => {
    const [x, y] = [run(of), run(against)];
    if (!x || !y) return [];
    return [
      {
        of,
        against,
        requestsRatio: x.requestsPerSecond / y.requestsPerSecond,
        cpuRatio: totalCpuMs(y) / totalCpuMs(x),
        alternated: x.rounds > 1 && y.rounds === x.rounds,
        targets,
      },
    ];
  });
}

const sizeOf = (r: ScenarioResult | undefined) => (r ? ` at ${r.products.toLocaleString('en')} products` : '');

export function verdicts(
  report: { scenarios: ScenarioResult[]; comparisons: Comparison[] } & Partial<MemoryPart>,
): Verdict[] {
  const out: Verdict[] = [];
  const run = (key: RunKey) => report.scenarios.find((s) => s.key === key);
  const atLeast = (what: string, value: number, target: number, unit = 'x') =>
    out.push({ what, value: `${value.toFixed(2)}${unit}`, target: `≥ ${target}${unit}`, pass: value >= target });
  for (const c of report.comparisons) {
    const what = `(${c.of})/(${c.against})${sizeOf(run(c.against))}`;
    if (c.targets.requests !== undefined) atLeast(`${what}, req/s`, c.requestsRatio, c.targets.requests);
    if (c.targets.cpu !== undefined)
      atLeast(`${what}, CPU per request (${c.against})/(${c.of})`, c.cpuRatio, c.targets.cpu);
  }
  // The p99 target is set at 20 connections: the (c20) run, or (c) when it ran at 20 or fewer.
  const list = run('c');
  const p99Run = run('c20') ?? (list && list.connections <= TARGETS.p99Connections ? list : undefined);
  if (p99Run) {
    out.push({
      what: `(${p99Run.key}) p99 at ${p99Run.connections} connections`,
      value: `${p99Run.p99Ms} ms`,
      target: `< ${TARGETS.loggedInP99Ms} ms at ${TARGETS.p99Connections}`,
      pass: p99Run.p99Ms < TARGETS.loggedInP99Ms,
    });
  }
  const ceiling = run('a');
  const cart = run('e');
  if (ceiling && list)
    atLeast('(c)/(a), req/s', list.requestsPerSecond / ceiling.requestsPerSecond, TARGETS.loggedInOfCeiling);
  if (ceiling && cart)
    atLeast('(e)/(a), req/s', cart.requestsPerSecond / ceiling.requestsPerSecond, TARGETS.addToCartOfCeiling);
  if (report.memory) {
    const { visitors, logins, growthMB } = report.memory;
    out.push({
      what: `shop RSS growth over ${visitors.toLocaleString('en')} visitors, ${logins.toLocaleString('en')} logins`,
      value: `${growthMB.toFixed(1)} MB`,
      target: `< ${TARGETS.memoryGrowthMB} MB`,
      pass: growthMB < TARGETS.memoryGrowthMB,
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
