/**
 * What a run found, as one report: each page's figures, the comparisons and the verdicts
 * (targets.ts), the machine and the commit; printed, and kept as JSON (record.ts).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { ScenarioResult } from './load-run';
import type { MemoryPart, MemoryFigures, LookupTiming } from './memory';
import type { BenchOptions } from './options';
import { ROOT } from './shop';
import { comparisons, TARGETS, verdicts, type Comparison, type Verdict } from './targets';

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
  memory?: MemoryFigures;
  lookups?: { small: LookupTiming; big: LookupTiming; ratio: number };
  targets: typeof TARGETS;
  verdicts: Verdict[];
}

/** The run's report: its figures, its comparisons and verdicts, the machine and the commit. */
export function newReport(
  run: {
    options: BenchOptions;
    samePages: object;
    results: ScenarioResult[];
    loadAverageAtStart: number[];
  } & Partial<MemoryPart>,
): BenchReport {
  const report: BenchReport = {
    date: new Date().toISOString(),
    ...gitState(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      loadAverageAtStart: run.loadAverageAtStart,
      loadAverage: os.loadavg(),
    },
    options: { ...run.options, samePages: run.samePages },
    scenarios: run.results,
    comparisons: comparisons(run.results),
    memory: run.memory,
    lookups: run.lookups,
    targets: TARGETS,
    verdicts: [],
  };
  report.verdicts = verdicts(report);
  return report;
}

/** The commit measured and whether tracked files had changes (nothing outside a git work tree). */
export function gitState(): Pick<BenchReport, 'commit' | 'dirty'> {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return {};
  }
}

/** The CPU time of the process that served the run, and of the engine when it took part. */
function cpuPerRequest(r: ScenarioResult): string {
  const server = r.cpuMsPerRequest[r.server];
  const engine = r.usesEngine ? r.cpuMsPerRequest['embedded engine'] : undefined;
  if (server === undefined) return '';
  return engine === undefined ? server.toFixed(2) : `${server.toFixed(2)}+${engine.toFixed(2)}`;
}

export function printResults(report: BenchReport): void {
  const columns = ['run'.padEnd(46), 'products', 'conn', '   req/s', ' p50 ms', ' p99 ms', ' CPU ms/req'];
  console.log(`\n${columns.join(' ')}  errors / timeouts / unexpected status`);
  for (const r of report.scenarios) {
    const cells = [
      `(${r.key}) ${r.label}`.padEnd(46),
      r.products.toLocaleString('en').padStart(8),
      String(r.connections).padStart(4),
      Math.round(r.requestsPerSecond).toString().padStart(8),
      String(r.p50Ms).padStart(7),
      String(r.p99Ms).padStart(7),
      cpuPerRequest(r).padStart(11),
    ];
    console.log(`${cells.join(' ')}  ${r.errors - r.timeouts} / ${r.timeouts} / ${r.unexpectedStatus}`);
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
      `(${c.of})/(${c.against}): req/s ${c.requestsRatio.toFixed(2)}; CPU per request (${c.against})/(${c.of}) ${c.cpuRatio.toFixed(2)}${c.alternated ? '' : ' (not in alternation)'}`,
    );
  }
  if (report.memory) {
    const m = report.memory;
    console.log(
      `\nmemory: shop RSS ${m.rssBeforeMB.toFixed(1)} MB before, ${m.rssAfterMB.toFixed(1)} MB after ${m.visitors.toLocaleString('en')} fresh visitors ` +
        `(${m.logins.toLocaleString('en')} of them logged in, ${m.seconds.toFixed(0)} s); ` +
        `sessions in MongoDB ${m.sessionsInMongoDB.before.toLocaleString('en')} → ${m.sessionsInMongoDB.after.toLocaleString('en')}`,
    );
  }
  if (report.lookups) {
    const line = (t: LookupTiming) =>
      `${t.sessions.toLocaleString('en')} sessions: median ${t.medianMs.toFixed(3)} ms, mean ${t.meanMs.toFixed(3)} ms, p99 ${t.p99Ms.toFixed(3)} ms`;
    console.log(
      `session lookup (store.get, one at a time, alternating): ${line(report.lookups.small)}; ${line(report.lookups.big)}`,
    );
  }
  const { loadAverageAtStart, loadAverage, cpus } = report.machine;
  console.log(
    'CPU ms/req: the serving process (+ the engine) per request, the figure to compare between runs on a busy machine.',
  );
  console.log(
    `load average (1 min) ${loadAverageAtStart[0].toFixed(2)} at the start, ${loadAverage[0].toFixed(2)} at the end, on ${cpus} cores.\n`,
  );
  for (const v of report.verdicts)
    console.log(`${v.pass ? 'PASS' : 'FAIL'}  ${v.what}: ${v.value} (target ${v.target})`);
}
