/**
 * The functions that took the most CPU time in a V8 profile (node --cpu-prof), by self time and
 * by package, so the bench can say where the shop spends its time.
 *   node --import tsx scripts/bench/profile-summary.ts FILE.cpuprofile [--top 25]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

/** Self time per function and per package (node_modules/<name>, the shop's src/, node internals). */
export function summarizeProfile(
  file: string,
  top = 25,
): { totalMs: number; functions: Hotspot[]; packages: Hotspot[] } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const functions = new Map<string, Hotspot>();
  const packages = new Map<string, Hotspot>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalUs += us;
    const where = `${shortPath(url)}:${lineNumber + 1}`;
    const name = functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, selfMs: 0, share: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
    const pkg = packageOf(url, name);
    const pkgEntry = packages.get(pkg) ?? { name: pkg, where: '', selfMs: 0, share: 0 };
    pkgEntry.selfMs += us / 1000;
    packages.set(pkg, pkgEntry);
  }
  const ranked = (map: Map<string, Hotspot>) =>
    [...map.values()]
      .map((h) => ({ ...h, share: h.selfMs / (totalUs / 1000) }))
      .sort((x, y) => y.selfMs - x.selfMs)
      .slice(0, top);
  return { totalMs: totalUs / 1000, functions: ranked(functions), packages: ranked(packages) };
}

function shortPath(url: string): string {
  if (!url) return '';
  const clean = url.replace(/^file:\/\//, '');
  const modules = clean.lastIndexOf('node_modules/');
  if (modules >= 0) return clean.slice(modules + 'node_modules/'.length);
  const root = path.join(__dirname, '..', '..') + path.sep;
  return clean.startsWith(root) ? clean.slice(root.length) : clean;
}

function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const clean = url.replace(/^file:\/\//, '');
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(clean.slice(clean.lastIndexOf('node_modules/')));
  if (clean.includes('node_modules/') && match) return match[1];
  if (clean.startsWith('node:')) return 'node internals';
  const root = path.join(__dirname, '..', '..') + path.sep;
  return clean.startsWith(root) ? path.dirname(clean.slice(root.length)) : clean;
}

export function printProfile(file: string, top = 25): void {
  const { totalMs, functions, packages } = summarizeProfile(file, top);
  console.log(`\n${path.basename(file)}: ${(totalMs / 1000).toFixed(1)} s of samples`);
  console.log('self time by package:');
  for (const p of packages.slice(0, 12)) console.log(`  ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.name}`);
  console.log('self time by function:');
  for (const f of functions) console.log(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
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
  for (const file of positionals) printProfile(file, Number(values.top));
}
