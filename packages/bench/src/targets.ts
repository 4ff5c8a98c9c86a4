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

const PEER_TARGETS = { requests: TARGETS.peerRequestsRatio, cpu: TARGETS.peerCpuRatio };

/** The pairs compared, when both ran. */
const PAIRS: Array<Pick<Comparison, 'of' | 'against' | 'targets'>> = [
  { of: 'b', against: 'a', targets: { requests: TARGETS.anonymousOfCeiling } },
  { of: 'c', against: 'f', targets: {} },
  { of: 'c', against: 'b', targets: { requests: TARGETS.loggedInOfAnonymous } },
  { of: 'c', against: 'g', targets: PEER_TARGETS },
  { of: 'c', against: 'h', targets: PEER_TARGETS },
  { of: 'c-small', against: 'g-small', targets: PEER_TARGETS },
  { of: 'c-small', against: 'h-small', targets: PEER_TARGETS },
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
  const judge = (what: string, value: string, target: string, pass: boolean) => out.push({ what, value, target, pass });
  const atLeast = (what: string, value: number, target: number) =>
    judge(what, `${value.toFixed(2)}x`, `≥ ${target}x`, value >= target);
  for (const c of report.comparisons) {
    const what = `(${c.of})/(${c.against})${sizeOf(run(c.against))}`;
    if (c.targets.requests !== undefined) atLeast(`${what}, req/s`, c.requestsRatio, c.targets.requests);
    if (c.targets.cpu !== undefined)
      atLeast(`${what}, CPU per request (${c.against})/(${c.of})`, c.cpuRatio, c.targets.cpu);
  }
  // The p99 target is set at 20 connections: the (c20) run, or (c) when it ran at 20 or fewer.
  const [list, ceiling, cart] = [run('c'), run('a'), run('e')];
  const p99Run = run('c20') ?? (list && list.connections <= TARGETS.p99Connections ? list : undefined);
  if (p99Run) {
    const { key, connections, p99Ms } = p99Run;
    const target = `< ${TARGETS.loggedInP99Ms} ms at ${TARGETS.p99Connections}`;
    judge(`(${key}) p99 at ${connections} connections`, `${p99Ms} ms`, target, p99Ms < TARGETS.loggedInP99Ms);
  }
  if (ceiling && list)
    atLeast('(c)/(a), req/s', list.requestsPerSecond / ceiling.requestsPerSecond, TARGETS.loggedInOfCeiling);
  if (ceiling && cart)
    atLeast('(e)/(a), req/s', cart.requestsPerSecond / ceiling.requestsPerSecond, TARGETS.addToCartOfCeiling);
  if (report.memory) {
    const { visitors, logins, growthMB } = report.memory;
    const what = `shop RSS growth over ${visitors.toLocaleString('en')} visitors, ${logins.toLocaleString('en')} logins`;
    judge(what, `${growthMB.toFixed(1)} MB`, `< ${TARGETS.memoryGrowthMB} MB`, growthMB < TARGETS.memoryGrowthMB);
  }
  if (report.lookups) {
    const { small, big, ratio } = report.lookups;
    const what = `session lookup, ${big.sessions.toLocaleString('en')} vs ${small.sessions.toLocaleString('en')} sessions`;
    judge(what, ratio.toFixed(2), `≤ ${TARGETS.lookupRatio}`, ratio <= TARGETS.lookupRatio);
  }
  return out;
}
