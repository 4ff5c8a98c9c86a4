/**
 * Where a run's report goes: its JSON in bench-results/ (git-ignored); with `--record` also in
 * docs/performance/ as the latest recorded run, in place of the one before (git keeps it), and its
 * line added to the table of docs/performance/history.md. Run alone, this prints the table's line
 * of each report named, e.g. one left in bench-results/ by a run without --record:
 *   node --import tsx packages/bench/src/record.ts bench-results/bench-*.json
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ScenarioResult } from './load-run';
import type { BenchReport } from './report';
import { totalCpuMs } from './targets';
import { ROOT } from './shop';

const DOCS = path.join(ROOT, 'docs', 'performance');

export function writeReport(report: BenchReport, record: boolean): void {
  const fileName = `bench-${report.date.replace(/[:.]/g, '-')}.json`;
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const results = path.join(ROOT, 'bench-results');
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, fileName), json);
  console.log(`\nfigures written to ${path.relative(process.cwd(), path.join(results, fileName))}`);
  if (!record) return;
  for (const old of fs.readdirSync(DOCS).filter((file) => /^bench-.*\.json$/.test(file)))
    fs.rmSync(path.join(DOCS, old));
  fs.writeFileSync(path.join(DOCS, fileName), json);
  // The history ends with its table.
  fs.appendFileSync(path.join(DOCS, 'history.md'), `${historyRow(report)}\n`);
  console.log(`recorded in ${path.relative(process.cwd(), DOCS)}: ${fileName} and its line in history.md`);
}

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
    report.memory ? `${report.memory.growthMB >= 0 ? '+' : ''}${report.memory.growthMB.toFixed(1)} MB` : '',
    report.lookups ? report.lookups.ratio.toFixed(2) : '',
  ].filter(Boolean);
  const cells = [
    report.date.slice(0, 16).replace('T', ' '),
    `${report.commit?.slice(0, 7) ?? '?'}${report.dirty ? ' (changed)' : ''}`,
    Array.isArray(only) ? only.join(',') : 'all',
    `${loadAverageAtStart[0].toFixed(1)} → ${loadAverage[0].toFixed(1)}`,
    ...['a', 'b', 'c', 'f', 'g', 'h'].map(rate),
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

if (require.main === module) {
  for (const file of process.argv.slice(2))
    console.log(historyRow(JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport));
}
