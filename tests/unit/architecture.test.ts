import fs from 'node:fs';
import path from 'node:path';
import type { IUser, IUserMethods, UserModel } from '../../src/accounts/user.schema';

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
 * Every form is CSRF-checked: its area declares it with `areaRouter` (http/area-router.ts), whose
 * `post` takes the check and puts it first (tests/shop/csrf.test.ts sends each declared form
 * without its token). Nothing else may make a route: only the area router makes an Express router
 * for routes (the static files' routers serve GET and HEAD only), only app.ts makes the app, and
 * it declares no route on the app itself; the areas get the app as a `Parent`, which has `use` only.
 */
test('routes are declared through the area router only: no form without its check', () => {
  // Static files (public/, and the passkeys' browser module) are served by express.static: GET and HEAD only.
  const ROUTER_MAKERS = ['http/area-router.ts', 'http/middleware/static-files.ts', 'http/vendor-modules.ts'];
  const outside: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const name = path.relative(SRC, file).split(path.sep).join('/');
    const code = codeOf(file);
    const expressValues = [...code.matchAll(/import\s+(\w+\s*,\s*)?\{([^}]*)\}\s*from\s*'express'/g)].flatMap(
      ([, , names]) => names.split(',').map((n) => n.trim()),
    );
    if (expressValues.includes('Router') && !ROUTER_MAKERS.includes(name)) outside.push(`${name} makes a Router`);
    if (/\bexpress\s*\.\s*Router\b/.test(code)) outside.push(`${name} makes a Router`);
    if (/\bexpress\s*\(\s*\)/.test(code) && name !== 'app.ts') outside.push(`${name} makes an app`);
    if (name === 'app.ts' && /\bapp\s*\.\s*(?:get|post|put|patch|delete|all|route)\s*\(/.test(code))
      outside.push('app.ts declares a route on the app');
  }
  expect(outside).toEqual([]);
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

/*
 * No area writes another area's collection except through that area's service or a hook it
 * provides (docs/architecture.md, "Who writes what"). Three checks, each derived from the code
 * rather than from a list kept by hand:
 *  - the models an area compiles (its `*.model.ts`) are written only by that area: another area
 *    may import one to read it, never to call a write on it or reach its raw collection;
 *  - the User is composed of the accounts' part and the cart's (src/user.model.ts), and only those
 *    two areas receive the model whole: any other gets a read-only slice of it (`Pick<UserModel, ...>`);
 *  - the cart's part of the User (the fields and methods `cartOfUser` adds) is named in src/cart/
 *    only: every other area changes carts through the cart's hooks.
 */

/** What writes through a mongoose model, or reaches past it to the driver. */
const MODEL_WRITES = [
  'create',
  'insertMany',
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'findByIdAndUpdate',
  'findByIdAndDelete',
  'bulkWrite',
  'bulkSave',
  'collection',
  'db',
];
/** What a read-only slice of the User model may hold. */
const MODEL_READS = ['exists', 'find', 'findOne', 'findById', 'countDocuments', 'estimatedDocumentCount', 'hydrate'];

function areaOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0];
}

/** The source without its comments: what a comment names is documentation, not use. */
function codeOf(file: string): string {
  return fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every `import { a, b as c } from './x'` of a file: what it imports (not types) under which local name. */
function namedImportsOf(file: string): Array<{ target: string; imported: string; local: string }> {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/import\s+(?!type\b)\{([^}]*)\}\s*from\s*'(\.[^']+)'/g)].flatMap(([, names, specifier]) =>
    names
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '' && !name.startsWith('type '))
      .map((name) => {
        const [imported, local = imported] = name.split(/\s+as\s+/);
        return { target: path.resolve(path.dirname(file), specifier), imported, local };
      }),
  );
}

function isModel(value: unknown): value is { modelName: string; collection: { collectionName: string } } {
  return typeof value === 'function' && 'modelName' in value && 'collection' in value;
}

test('no area writes a model of another area: it imports one only to read it', async () => {
  // The models each area compiles, by file (without extension, as imports name them) and export.
  const owners = new Map<string, { area: string; exports: Set<string> }>();
  const modelFiles = sourceFiles(SRC).filter((file) => file.endsWith('.model.ts') && layerOf(file) !== undefined);
  for (const file of modelFiles) {
    const exported = (await import(file)) as Record<string, unknown>;
    const models = Object.entries(exported).filter(([, value]) => isModel(value));
    if (models.length > 0) {
      owners.set(file.replace(/\.ts$/, ''), { area: areaOf(file), exports: new Set(models.map(([name]) => name)) });
    }
  }
  // The products, the orders, the account tokens at least: the check has something to check.
  expect(owners.size).toBeGreaterThanOrEqual(3);

  const writes = new RegExp(`^\\s*\\.\\s*(?:${MODEL_WRITES.join('|')})\\b`);
  const foreignWrites: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (layerOf(file) === undefined && !SIDE_AREAS.includes(areaOf(file))) continue;
    const code = codeOf(file);
    for (const { target, imported, local } of namedImportsOf(file)) {
      const owner = owners.get(target);
      if (!owner || owner.area === areaOf(file) || !owner.exports.has(imported)) continue;
      for (const use of code.matchAll(new RegExp(`(?:\\bnew\\s+)?\\b${local}\\b`, 'g'))) {
        const after = code.slice(use.index + use[0].length);
        if (use[0].startsWith('new') || writes.test(after)) {
          foreignWrites.push(`${path.relative(SRC, file)} writes ${imported} (${owner.area})`);
        }
      }
    }
  }
  expect(foreignWrites).toEqual([]);
});

test('only accounts and the cart, whose parts make the User, get the User model whole', () => {
  const slice = /Pick<\s*UserModel\s*,\s*((?:'\w+'\s*\|?\s*)+)>/g;
  const beyondReading: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (layerOf(file) === undefined || ['accounts', 'cart'].includes(areaOf(file))) continue;
    const code = codeOf(file).replace(/^import\b[^;]*;/gm, '');
    for (const [, names] of code.matchAll(slice)) {
      for (const method of names.split('|').map((name) => name.trim().replace(/'/g, ''))) {
        if (!MODEL_READS.includes(method)) beyondReading.push(`${path.relative(SRC, file)}: UserModel's ${method}`);
      }
    }
    if (/\bUserModel\b/.test(code.replace(slice, ''))) beyondReading.push(`${path.relative(SRC, file)}: UserModel`);
  }
  expect(beyondReading).toEqual([]);
});

test("the cart's part of the User is named in src/cart/ only", async () => {
  const { Schema } = await import('mongoose');
  const { cartOfUser } = await import('../../src/cart/cart.plugin');
  const part = new Schema<IUser, UserModel, IUserMethods>();
  cartOfUser(part);
  const fields = Object.keys(part.paths).filter((field) => field !== '_id');
  const methods = Object.keys(part.methods);
  // cart.items, shippingAddress, pendingOrders; addToCart, claimCart...
  expect(fields.length).toBeGreaterThanOrEqual(3);
  expect(methods.length).toBeGreaterThanOrEqual(4);
  // A path as code writes it: user.cart.items, 'cart.items', or { cart: { items: ... } }.
  const names = [
    ...fields.map((field) => ({ name: field, pattern: `\\b${field.split('.').join('\\s*(?:\\.|:\\s*\\{)\\s*')}\\b` })),
    ...methods.map((method) => ({ name: `${method}()`, pattern: `\\b${method}\\b` })),
  ];

  const outside: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (areaOf(file) === 'cart') continue;
    const code = codeOf(file);
    for (const { name, pattern } of names) {
      if (new RegExp(pattern).test(code)) outside.push(`${path.relative(SRC, file)} names ${name}`);
    }
  }
  expect(outside).toEqual([]);
});
