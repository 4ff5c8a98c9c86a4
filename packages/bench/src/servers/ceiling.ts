/**
 * The benchmark's ceiling, (a): the shop's product-list page rendered by Express from products held
 * in memory, with no session and no database, in production mode (view cache on). Whatever the shop
 * does beyond this costs it throughput: npm run bench prints the shop's figures as ratios to these.
 *
 * Its own process, started by scripts/bench.ts:
 *   node --import tsx scripts/bench/ceiling-server.ts --port P --products products.json --total N
 * (the products of the first page, and how many there are in all, for the same page links).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import express from 'express';
import { usePageDefaults } from '../../src/app';
import { productListLocals } from './product-list-page';
import { useViews } from '../../src/http/view-engine';

const { values } = parseArgs({
  options: { port: { type: 'string' }, products: { type: 'string' }, total: { type: 'string' } },
});
if (!values.port || !values.products || !values.total) {
  console.error('usage: ceiling-server.ts --port P --products FILE --total N');
  process.exit(2);
}

/** The products as the shop's page shows them; `_id` as a hex string renders like an ObjectId. */
const products: unknown[] = JSON.parse(fs.readFileSync(values.products, 'utf8'));

const app = express();
useViews(app, { cache: true });
app.disable('x-powered-by');
// The locals createApp sets for every page of an anonymous visitor.
usePageDefaults(app);
const page = productListLocals(products, 1, Number(values.total));

app.get('/products', (_req, res) => {
  res.render('catalog/product-list', page);
});

const server = app.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`ceiling listening on http://127.0.0.1:${values.port}/products with ${products.length} products`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
