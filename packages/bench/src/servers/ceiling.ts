/**
 * The benchmark's ceiling, (a), which is also the anonymous page's floor: the shop's product list
 * rendered by Express from products held in memory, as the shop's product cache holds them (read
 * once at start through the shop's catalog), with no session and no database per request, in
 * production mode (view cache on). The bench checks that its page is the shop's anonymous page,
 * byte for byte.
 *
 *   node --import tsx packages/bench/src/servers/ceiling.ts --port P --uri URI
 */
import mongoose from 'mongoose';
import { firstPageLocals } from './product-list';
import { listen, serverArgs, shopPagesApp, start } from './common';

const { port, uri } = serverArgs('ceiling.ts');

start(async () => {
  await mongoose.connect(uri);
  const page = await firstPageLocals();
  await mongoose.disconnect();

  const app = shopPagesApp();
  app.get('/products', (_req, res) => res.render('catalog/product-list', page));
  listen(app, 'ceiling', port);
});
