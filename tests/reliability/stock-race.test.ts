import http from 'node:http';
import { Order } from '../../src/cart/order.model';
import { Product } from '../../src/catalog/product.model';
import { User } from '../../src/user.model';
import { startShopProcess, type ShopProcess } from '../../tools/processes';
import { ShopClient, type ShopReply } from '../../tools/shop-client';
import { testServerUri } from '../helpers/database';
import {
  CONFIRMATION_PATH,
  TEST_ADDRESS,
  TEST_SECRET,
  addProduct,
  newShopper,
  sessionCookieOf,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';
import { textOf } from '../helpers/tables';

/*
 * Issue 23: 50 shoppers with the last 5 units in their carts order at once, through three shop
 * processes (src/server.ts) on one database: the conditional update of each line (stock.ts) lets
 * exactly 5 orders have them, the other 45 get the checkout again naming the short line, and the
 * stock ends at 0, never below. Carts reserve nothing: all 50 could add the product.
 */

jest.setTimeout(300_000);

const SHOPPERS = 50;
const UNITS = 5;
const PROCESSES = 3;

let shop: TestShop;
const processes: ShopProcess[] = [];

beforeAll(async () => {
  shop = await startTestShop('stock_race');
});

afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop('SIGKILL')));
  await shop?.close();
});

function databaseUri(): string {
  const url = new URL(testServerUri());
  url.pathname = `/${shop.dbName}`;
  return url.toString();
}

test(`${SHOPPERS} shoppers, ${UNITS} units, ${PROCESSES} processes: exactly ${UNITS} orders, stock 0`, async () => {
  const seller = await newShopper(shop.app, 'seller');
  const lastId = await addProduct(seller, { title: 'Last Matcha', price: '12.00', stock: String(UNITS) });
  const plentyId = await addProduct(seller, { title: 'Plenty Sencha', price: '3.00', stock: '1000' });

  const shoppers: Array<Shopper & { cookie: string }> = [];
  for (let i = 0; i < SHOPPERS; i++) {
    const shopper = await newShopper(shop.app, `racer-${i}`);
    for (const productId of [lastId, plentyId]) {
      await shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId }).expect(302);
    }
    shoppers.push({ ...shopper, cookie: await sessionCookieOf(shopper.agent) });
  }

  for (let i = 0; i < PROCESSES; i++) {
    processes.push(
      await startShopProcess({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, MONGODB_URI: databaseUri() }),
    );
  }
  // Every request on a connection of its own, all sent before any answer comes.
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const replies: ShopReply[] = await Promise.all(
    shoppers.map((shopper, i) =>
      new ShopClient(processes[i % PROCESSES].url, { agent, headers: { cookie: shopper.cookie } }).postForm(
        '/create-order',
        { _csrf: shopper.csrf, ...TEST_ADDRESS },
      ),
    ),
  );
  agent.destroy();

  const placed = replies.filter((reply) => reply.status === 302 && CONFIRMATION_PATH.test(reply.location ?? ''));
  const short = replies.filter((reply) => reply.status === 409);
  expect({ placed: placed.length, short: short.length }).toEqual({ placed: UNITS, short: SHOPPERS - UNITS });
  for (const reply of short) {
    expect(textOf(reply.body)).toContain('Last Matcha: out of stock (you asked for 1).');
    expect(reply.body).toContain('action="/create-order"');
  }

  // Exactly 5 orders hold it, one unit each; the stock ends at 0; no marker is left.
  const orders = await Order.find({ 'items.productId': lastId }).lean();
  expect(orders).toHaveLength(UNITS);
  expect(orders.map((order) => order.items.find((item) => item.productId.equals(lastId))?.quantity)).toEqual(
    Array(UNITS).fill(1),
  );
  const last = await Product.findById(lastId, { stock: 1, stockTakenBy: 1 }).lean();
  expect(last?.stock).toBe(0);
  expect(last?.stockTakenBy ?? []).toEqual([]);
  // The short orders took nothing of the other line either, and kept their carts.
  expect((await Product.findById(plentyId).lean())?.stock).toBe(1000 - UNITS);
  const losers = await User.find({ email: { $in: shoppers.map((shopper) => shopper.email) } }).lean();
  const withCart = losers.filter((user) => user.cart.items.length === 2);
  expect(withCart).toHaveLength(SHOPPERS - UNITS);
  expect(losers.every((user) => (user.pendingOrders ?? []).length === 0)).toBe(true);
  // No order number was spent on a short order: the five follow on.
  const numbers = orders.map((order) => order.number!).sort((a, b) => a - b);
  expect(numbers).toEqual(numbers.map((_, i) => numbers[0] + i));
});
