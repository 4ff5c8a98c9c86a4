/**
 * The functions that took the most CPU time in a V8 profile (node --cpu-prof), by self time and
 * by package, so the bench can say where the shop spends its time. Shares are of the busy time
 * (the samples that were not idle). With windows, only the samples inside them count: the bench
 * passes the times of one page's measured slices, so that a profile of a process that served
 * several pages (the engine), or that also started up, says what that page cost.
 *   npm run profile-summary -w @session-shop/bench -- FILE.cpuprofile... [--top 25]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ScenarioResult } from './load-run';
import { ROOT } from './shop';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  /** µs of the monotonic clock (process.hrtime's). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  name: string;
  where: string;
  selfMs: number;
  /** Of the busy time. */
  share: number;
}

export interface ProfileSummary {
  /** Sampled time, idle included, inside the windows. */
  totalMs: number;
  busyMs: number;
  functions: Hotspot[];
  packages: Hotspot[];
}

/** Self time per function and per package (node_modules/<name>, the shop's folders, node's by area). */
export function summarizeProfile(file: string, top = 25, windowsUs?: Array<[number, number]>): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const inWindow = (t: number) => !windowsUs || windowsUs.some(([from, to]) => t >= from && t <= to);
  const selfUs = new Map<number, number>();
  let time = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (inWindow(time)) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });

  const functions = new Map<string, Hotspot>();
  const packages = new Map<string, Hotspot>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalUs += us;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = url ? `${shortPath(url)}:${lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, selfMs: 0, share: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
    const pkg = packageOf(url, name);
    const pkgEntry = packages.get(pkg) ?? { name: pkg, where: '', selfMs: 0, share: 0 };
    pkgEntry.selfMs += us / 1000;
    packages.set(pkg, pkgEntry);
  }
  const busyMs = (totalUs - idleUs) / 1000;
  const ranked = (map: Map<string, Hotspot>) =>
    [...map.values()]
      .map((h) => ({ ...h, share: busyMs > 0 ? h.selfMs / busyMs : 0 }))
      .sort((x, y) => y.selfMs - x.selfMs)
      .slice(0, top);
  return { totalMs: totalUs / 1000, busyMs, functions: ranked(functions), packages: ranked(packages) };
}

const ROOT_PREFIX = ROOT + path.sep;
const cleanUrl = (url: string) => url.replace(/^file:\/\//, '').replace(/^"|"$/g, '');

/** Where a function is: its file under node_modules/ or the repository, node's own as it is. */
function shortPath(url: string): string {
  const clean = cleanUrl(url);
  const modules = clean.lastIndexOf('node_modules/');
  if (modules >= 0) return clean.slice(modules + 'node_modules/'.length);
  return clean.startsWith(ROOT_PREFIX) ? clean.slice(ROOT_PREFIX.length) : clean;
}

/** Native functions of node's that the profile names without a file. */
const SOCKETS = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'onStreamRead']);
const CRYPTO = new Set(['Hmac', 'Hash', 'digest', 'randomBytes', 'timingSafeEqual']);

/** A package (node_modules/<name>), a folder of the repository, the compiled templates, or an area of node's. */
function packageOf(url: string, name: string): string {
  if (SOCKETS.has(name) || /^node:(_http|http|net|internal\/(http|streams|stream_base|net|dns))/.test(url))
    return 'node: http and sockets';
  if (CRYPTO.has(name) || url.startsWith('node:internal/crypto')) return 'node: crypto';
  if (!url) return name.startsWith('(') ? name : '(native)';
  const clean = cleanUrl(url);
  // EJS compiles each template into a function named by its file.
  if (clean.endsWith('.ejs')) return 'views (compiled EJS templates)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(clean.slice(clean.lastIndexOf('node_modules/')));
  if (clean.includes('node_modules/') && match) return match[1];
  if (/^node:internal\/(modules|source_map|vm)|^node:vm/.test(clean)) return 'node: module loading';
  if (/^node:(events|internal\/(process\/task_queues|timers|async_hooks))|^node:timers/.test(clean))
    return 'node: events, timers, ticks';
  if (clean.startsWith('node:')) return 'node: other';
  return clean.startsWith(ROOT_PREFIX) ? path.dirname(clean.slice(ROOT_PREFIX.length)) : clean;
}

export function printSummary(title: string, summary: ProfileSummary, top = 25): void {
  const { totalMs, busyMs, functions, packages } = summary;
  console.log(
    `\n${title}: ${(busyMs / 1000).toFixed(1)} s busy of ${(totalMs / 1000).toFixed(1)} s sampled (${totalMs > 0 ? ((busyMs / totalMs) * 100).toFixed(0) : 0}%)`,
  );
  console.log('self time by package, share of the busy time:');
  for (const p of packages.slice(0, 15)) console.log(`  ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.name}`);
  console.log('self time by function:');
  for (const f of functions.slice(0, top))
    console.log(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
}

/**
 * For each page measured, the profile of its server and of the engine during that page's measured
 * slices only (not the start-up, the warm-up or the other pages): printed, and written to
 * summary.json in `dir`. A process's profile is its main thread's, the largest file (tsx's loader
 * thread writes one too).
 */
export function summarizeRuns(dir: string, processes: Array<{ name: string; dir: string }>, results: ScenarioResult[]) {
  const profiles = new Map<string, string>();
  for (const { name, dir: folder } of processes) {
    const files = fs.existsSync(folder) ? fs.readdirSync(folder).map((file) => path.join(folder, file)) : [];
    const main = files.sort((x, y) => fs.statSync(y).size - fs.statSync(x).size)[0];
    if (main) profiles.set(name, main);
  }
  const summaries = results.flatMap((result) =>
    [result.server, ...(result.usesEngine ? ['embedded engine'] : [])].flatMap((name) => {
      const file = profiles.get(name);
      if (!file) return [];
      const summary = summarizeProfile(file, 40, result.windowsUs);
      printSummary(`(${result.key}) ${result.label}, ${name}`, summary, name === result.server ? 25 : 12);
      return [{ key: result.key, process: name, file, summary }];
    }),
  );
  const summaryFile = path.join(dir, 'summary.json');
  fs.writeFileSync(summaryFile, `${JSON.stringify(summaries, null, 2)}\n`);
  console.log(`\nprofile summaries written to ${path.relative(process.cwd(), summaryFile)}`);
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '25' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    console.error('usage: profile-summary.ts FILE.cpuprofile... [--top 25]');
    process.exit(2);
  }
  for (const file of positionals)
    printSummary(path.basename(file), summarizeProfile(file, Number(values.top)), Number(values.top));
}
