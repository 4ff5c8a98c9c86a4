import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './shop';
import type { BenchReport } from './report';
import { addToHistory } from './history';

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

/**
 * The report as JSON in bench-results/ (git-ignored). With `record`, also in docs/performance/ as
 * the latest recorded run, in place of the one before (git keeps it), and its line added to
 * docs/performance/history.md.
 */
export function writeReport(report: BenchReport, record: boolean): void {
  const fileName = `bench-${report.date.replace(/[:.]/g, '-')}.json`;
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const results = path.join(ROOT, 'bench-results');
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, fileName), json);
  console.log(`\nfigures written to ${path.relative(process.cwd(), path.join(results, fileName))}`);
  if (!record) return;
  const docs = path.join(ROOT, 'docs', 'performance');
  for (const old of fs.readdirSync(docs).filter((file) => /^bench-.*\.json$/.test(file)))
    fs.rmSync(path.join(docs, old));
  fs.writeFileSync(path.join(docs, fileName), json);
  addToHistory(report);
  console.log(`recorded in ${path.relative(process.cwd(), path.join(docs, fileName))} and docs/performance/history.md`);
}
