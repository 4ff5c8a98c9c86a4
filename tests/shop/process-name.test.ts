import request from 'supertest';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/platform/logger';
import { newShopper, startTestShop, type TestShop } from '../helpers/shop';

/*
 * SHOP_PROCESS_NAME: behind a load balancer each process names itself in X-Shop-Process, which is
 * how the stack's browser and load tests see a shopper's requests alternate between processes.
 */

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('process-name');
});

afterAll(async () => {
  await shop.close();
});

test('without SHOP_PROCESS_NAME no response names the process', async () => {
  for (const path of ['/healthz', '/', '/login', '/css/main.css', '/no-such-page']) {
    const response = await request(shop.app).get(path);
    expect(response.headers['x-shop-process']).toBeUndefined();
  }
});

test('with SHOP_PROCESS_NAME every response names it: pages, probes, files, errors, logged in or not', async () => {
  const app = createApp({ ...shop.config, processName: 'shop-2' }, { sessionStore: shop.store, logger: silentLogger });
  for (const path of ['/healthz', '/readyz', '/', '/login', '/css/main.css', '/no-such-page']) {
    const response = await request(app).get(path);
    expect(response.headers['x-shop-process']).toBe('shop-2');
  }
  const shopper = await newShopper(app, 'named');
  const cart = await shopper.agent.get('/cart');
  expect(cart.status).toBe(200);
  expect(cart.headers['x-shop-process']).toBe('shop-2');
});
