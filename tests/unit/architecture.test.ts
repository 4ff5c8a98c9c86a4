import fs from 'node:fs';
import path from 'node:path';

// The shop's layers, lowest first: a file may import from its own layer and the ones below, never
// from one above (docs/architecture.md). app.ts, server.ts and demo-data.ts compose them all.
const LAYERS = ['platform', 'http', 'sessions', 'accounts', 'catalog', 'cart'];
const SRC = path.join(__dirname, '..', '..', 'src');

function sourceFiles(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function layerOf(file: string): number | undefined {
  const top = path.relative(SRC, file).split(path.sep)[0];
  const index = LAYERS.indexOf(top);
  return index < 0 ? undefined : index;
}

function importsOf(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map(([, specifier]) =>
    path.resolve(path.dirname(file), specifier),
  );
}

test('no file imports from a layer above its own', () => {
  const upward: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const own = layerOf(file);
    if (own === undefined) continue;
    for (const target of importsOf(file)) {
      const theirs = layerOf(target);
      if (theirs === undefined) {
        // Only the composition files and the type declarations sit outside the layers.
        const name = path.relative(SRC, target);
        if (!name.startsWith('types')) upward.push(`${path.relative(SRC, file)} -> ${name}`);
      } else if (theirs > own) upward.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
    }
  }
  expect(upward).toEqual([]);
});

// Areas beside the layers, which the shop's areas never import: they may use the platform and
// the shared HTTP helpers only (what they need of the others, app.ts hands them as functions).
const SIDE_AREAS = ['health', 'metrics', 'dev'];

test('health, metrics and dev import only the platform, the HTTP helpers and themselves', () => {
  const outside: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const area = path.relative(SRC, file).split(path.sep)[0];
    if (!SIDE_AREAS.includes(area)) continue;
    for (const target of importsOf(file)) {
      const theirs = path.relative(SRC, target).split(path.sep)[0];
      if (![area, 'platform', 'http'].includes(theirs)) outside.push(`${path.relative(SRC, file)} -> ${theirs}`);
    }
  }
  expect(outside).toEqual([]);
});

test('middleware files export only functions: handlers, or factories of handlers', async () => {
  const middlewareFiles = sourceFiles(SRC).filter((file) => file.split(path.sep).includes('middleware'));
  expect(middlewareFiles.length).toBeGreaterThan(5);
  for (const file of middlewareFiles) {
    const exported = (await import(file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) {
      // A handler, or a factory that makes handlers from options.
      expect({ file: path.relative(SRC, file), name, type: typeof value }).toEqual({
        file: path.relative(SRC, file),
        name,
        type: 'function',
      });
    }
  }
});

/**
 * A library's private fields change without notice: the shop uses public surfaces only. A private
 * field is named with a leading underscore (`_id` is MongoDB's, not one), or re-declared with
 * `declare private` to be reached from a subclass.
 */
const PRIVATE_FIELD_USE = /\.(?!_id\b)_[A-Za-z]\w*|\[\s*['"]_(?!id['"])\w*['"]\s*\]|\bdeclare\s+private\b/g;

test('no file reads or writes a private field of a library', () => {
  const uses: string[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const [use] of fs.readFileSync(file, 'utf8').matchAll(PRIVATE_FIELD_USE))
      uses.push(`${path.relative(SRC, file)}: ${use}`);
  }
  expect(uses).toEqual([]);
});
