/**
 * docs/performance/history.md: one line per recorded run, its headline figures. `--record` adds the
 * run's line; the JSON of earlier runs stays in git. Run alone, it prints the lines of JSON files:
 *   node --import tsx packages/bench/src/history.ts bench-*.json
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ScenarioResult } from './load-run';
import type { BenchReport } from './report';
import { totalCpuMs } from './targets';
import { ROOT } from './shop';

export const HISTORY_FILE = path.join(ROOT, 'docs', 'performance', 'history.md');

export const HISTORY_HEADER = [
  '| date (UTC) | commit | runs | load | (a) req/s | (b) | (c) | (f) | (g) | (h) | (b)/(a) | (c)/(b) | (c)/(f) | (c)/(g) req/s, CPU | (c)/(h) req/s, CPU | small shop: (c)/(g), (c)/(h) req/s, CPU | (c) CPU ms | (c20) p99 ms | RSS growth, lookup |',
  '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
].join('\n');

/** A run's line of the table; a figure the run did not measure is left empty. */
export function historyRow(report: BenchReport): string {
  const run = (key: string) => report.scenarios.find((s) => s.key === key);
  const rate = (key: string) => {
    const r = run(key);
    return r ? Math.round(r.requestsPerSecond).toLocaleString('en') : '';
  };
  const ratio = (of: string, against: string, withCpu = false) => {
    const [x, y] = [run(of), run(against)];
    if (!x || !y) return '';
    const requests = (x.requestsPerSecond / y.requestsPerSecond).toFixed(2);
    return withCpu ? `${requests}, ${(totalCpuMs(y) / totalCpuMs(x)).toFixed(2)}` : requests;
  };
  const cpu = (r: ScenarioResult | undefined) =>
    r ? `${r.cpuMsPerRequest[r.server].toFixed(2)} + ${(r.cpuMsPerRequest['embedded engine'] ?? 0).toFixed(2)}` : '';
  const small = [ratio('c-small', 'g-small', true), ratio('c-small', 'h-small', true)].filter(Boolean).join('; ');
  const only = report.options.only;
  const { loadAverageAtStart, loadAverage } = report.machine;
  const extras = [
    report.memory ? `+${report.memory.growthMB.toFixed(1)} MB` : '',
    report.lookups ? report.lookups.ratio.toFixed(2) : '',
  ].filter(Boolean);
  const cells = [
    report.date.slice(0, 16).replace('T', ' '),
    `${report.commit?.slice(0, 7) ?? '?'}${report.dirty ? ' (changed)' : ''}`,
    Array.isArray(only) ? only.join(',') : 'all',
    `${loadAverageAtStart[0].toFixed(1)} → ${loadAverage[0].toFixed(1)}`,
    rate('a'),
    rate('b'),
    rate('c'),
    rate('f'),
    rate('g'),
    rate('h'),
    ratio('b', 'a'),
    ratio('c', 'b'),
    ratio('c', 'f'),
    ratio('c', 'g', true),
    ratio('c', 'h', true),
    small,
    cpu(run('c')),
    String(run('c20')?.p99Ms ?? ''),
    extras.join(', '),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** Adds the run's line at the end of the history (the file begins with its table). */
export function addToHistory(report: BenchReport): void {
  fs.appendFileSync(HISTORY_FILE, `${historyRow(report)}\n`);
}

if (require.main === module) {
  console.log(HISTORY_HEADER);
  for (const file of process.argv.slice(2))
    console.log(historyRow(JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport));
}
