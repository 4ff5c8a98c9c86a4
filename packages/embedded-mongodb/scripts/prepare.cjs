// `npm install` builds dist/, which the shop's compiled code loads in development. A production install
// of the shop (`npm ci --omit=dev`) has no TypeScript and never uses the engine, so there it is skipped.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  console.log('@session-shop/embedded-mongodb: no TypeScript here (a production install), dist/ not built');
  process.exit(0);
}
execFileSync(process.execPath, [tsc, '-p', path.join(__dirname, '..', 'tsconfig.build.json')], { stdio: 'inherit' });
