import mongoose from 'mongoose';
import request from 'supertest';
import { Order } from '../../src/cart/order.model';
import { Product } from '../../src/catalog/product.model';
import { PendingOrders } from '../../src/cart/pending-orders';
import { User } from '../../src/user.model';
import { ORDER_CRASH_POINTS, type OrderCrashPoint } from '../../src/platform/crash-points';
import { startShopProcess, type ShopProcess } from '../../tools/processes';
import { ShopClient } from '../../tools/shop-client';
import { testServerUri } from '../helpers/database';
import {
  TEST_ADDRESS,
  TEST_SECRET,
  addProduct,
  newShopper,
  placeOrder,
  sessionCookieOf,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';
import { rowOf } from '../helpers/tables';

/*
 * Issue 17: a checkout interrupted at any point by SIGKILL loses and duplicates nothing, on a
 * standalone database without transactions (cart.service.ts, docs/reliability.md). Real shop
 * processes (src/server.ts) over this file's database kill themselves at each step of an order
 * (SHOP_TEST_CRASH_AT); then either the shopper's next request or a restarted process completes
 * the order, and every unit is in the cart or in exactly one order.
 *
 * Issue 23: the products count their units. At every step, and after, every unit of stock is in
 * stock, or held for an order being placed, or in exactly one order; a short order killed between
 * giving its lines back and its units back, and a cancellation killed before its units are back,
 * are finished by a restarted process's housekeeping.
 */

jest.setTimeout(300_000);

let shop: TestShop;
let seller: Shopper;
let teaId: string;
let cupId: string;
const running: ShopProcess[] = [];

/** What each shopper put in the cart before ordering: 2 teas and 1 cup. */
const UNITS = 3;
/** The units of each product at the start: far more than the orders here take. */
const STOCK = 100;

const STATE_AT_CRASH: Record<
  OrderCrashPoint,
  { inCart: number; inOrders: number[]; onlyPending: number; pendingRecords: number }
> = {
  // The cart is empty and its lines are in the pending record; no order yet.
  'after-claim': { inCart: 0, inOrders: [], onlyPending: UNITS, pendingRecords: 1 },
  // The units are taken for the pending record (no number yet); no order yet.
  'after-stock': { inCart: 0, inOrders: [], onlyPending: UNITS, pendingRecords: 1 },
  // The order is in; its pending record not yet removed.
  'after-order': { inCart: 0, inOrders: [UNITS], onlyPending: 0, pendingRecords: 1 },
  // Done; only the answer was lost.
  'after-clear': { inCart: 0, inOrders: [UNITS], onlyPending: 0, pendingRecords: 0 },
};

function databaseUri(): string {
  const url = new URL(testServerUri());
  url.pathname = `/${shop.dbName}`;
  return url.toString();
}

/**
 * How long an order in progress belongs to its own request in the shop processes this file starts
 * (PENDING_ORDER_LEASE_MS): short, so that a restarted process completes at once what the crash
 * left, where the default would have it wait for half a minute.
 */
const CHILD_LEASE_MS = '50';

async function shopProcess(env: Record<string, string> = {}): Promise<ShopProcess> {
  const started = await startShopProcess({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    MONGODB_URI: databaseUri(),
    PENDING_ORDER_LEASE_MS: CHILD_LEASE_MS,
    ...env,
  });
  running.push(started);
  return started;
}

/**
 * A shopper fills the cart through the test's own app, then orders through a shop process that
 * kills itself at `point`: the order gets no answer, the process ends by SIGKILL.
 */
async function orderIntoACrash(point: OrderCrashPoint, name: string): Promise<{ shopper: Shopper; cookie: string }> {
  const shopper = await newShopper(shop.app, name);
  for (const productId of [teaId, teaId, cupId]) {
    await shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId }).expect(302);
  }
  const cookie = await sessionCookieOf(shopper.agent);
  const doomed = await shopProcess({ SHOP_TEST_CRASH_AT: point });
  const browser = new ShopClient(doomed.url, { headers: { cookie } });
  await expect(browser.postForm('/create-order', { _csrf: shopper.csrf, ...TEST_ADDRESS })).rejects.toThrow();
  browser.close();
  await doomed.exited;
  expect(doomed.child.signalCode).toBe('SIGKILL');
  // Each unit in exactly one place: the cart, the pending record, or the order.
  const { orders: _orders, ...state } = await whereUnitsAre(shopper);
  expect(state).toEqual(STATE_AT_CRASH[point]);
  // Before the units are taken, none is held; from then on, each is held or in the order.
  await expectEveryUnitOnce(teaId);
  await expectEveryUnitOnce(cupId);
  const held = await Product.countDocuments({ 'stockTakenBy.order': { $exists: true } });
  expect(held).toBe(point === 'after-claim' ? 0 : 2);
  return { shopper, cookie };
}

/** Where the shopper's units are: the cart, pending records, orders. */
async function whereUnitsAre(shopper: Shopper) {
  const user = await User.findOne({ email: shopper.email }).lean();
  if (!user) throw new Error(`no user ${shopper.email}`);
  const orders = await Order.find({ 'user.userId': user._id }).lean();
  const sum = (items: ReadonlyArray<{ quantity: number }>) => items.reduce((total, item) => total + item.quantity, 0);
  const pending = user.pendingOrders ?? [];
  const orderIds = new Set(orders.map((order) => order._id.toHexString()));
  return {
    inCart: sum(user.cart.items),
    inOrders: orders.map((order) => sum(order.items)),
    // A pending record whose order is already in the orders collection holds no units of its own.
    onlyPending: sum(pending.filter((record) => !orderIds.has(record.id.toHexString())).flatMap((r) => r.items)),
    pendingRecords: pending.length,
    orders,
  };
}

beforeAll(async () => {
  shop = await startTestShop('crash_checkout');
  seller = await newShopper(shop.app, 'seller');
  teaId = await addProduct(seller, { title: 'Green Tea', price: '4.10', stock: String(STOCK) });
  cupId = await addProduct(seller, { title: 'Tea Cup', price: '0.20', stock: String(STOCK) });
});

/**
 * Every unit of a product counted once: in stock, held by a marker of an order that is not in the
 * orders collection (being placed, or given back by the housekeeping), or in an order not
 * cancelled. `STOCK` for the products of the orders test, `initial` for the others.
 */
async function expectEveryUnitOnce(productId: string, initial = STOCK): Promise<void> {
  const product = await Product.findById(productId, { stock: 1, stockTakenBy: 1 }).lean();
  const orders = await Order.find({ 'items.productId': productId }).lean();
  const ordered = orders
    .filter((order) => order.status !== 'cancelled')
    .flatMap((order) => order.items)
    .filter((item) => item.productId.equals(productId))
    .reduce((sum, item) => sum + item.quantity, 0);
  const orderIds = new Set(orders.map((order) => order._id.toHexString()));
  const held = (product?.stockTakenBy ?? [])
    .filter((marker) => !orderIds.has(marker.order.toHexString()))
    .reduce((sum, marker) => sum + marker.quantity, 0);
  expect({ productId, stock: product?.stock, held, ordered, total: (product?.stock ?? 0) + held + ordered }).toEqual({
    productId,
    stock: initial - held - ordered,
    held,
    ordered,
    total: initial,
  });
}

/** No marker left on a product: its orders settled and released, or given back. */
async function expectNoMarker(productId: string): Promise<void> {
  expect((await Product.findById(productId, { stockTakenBy: 1 }).lean())?.stockTakenBy ?? []).toEqual([]);
}

afterAll(async () => {
  await Promise.all(running.map((child) => child.stop('SIGKILL')));
  await shop?.close();
});

/** Every unit ordered, once: no unit left pending or in the cart, one order with all three. */
async function expectOrderedOnce(shopper: Shopper): Promise<void> {
  const { orders, ...state } = await whereUnitsAre(shopper);
  expect(state).toEqual({ inCart: 0, inOrders: [UNITS], onlyPending: 0, pendingRecords: 0 });
  expect(orders[0].items.map((item) => [item.productId.toHexString(), item.quantity])).toEqual([
    [teaId, 2],
    [cupId, 1],
  ]);
  expect(orders[0].shippingAddress).toEqual(TEST_ADDRESS);
  expect(orders[0].number).toEqual(expect.any(Number));
}

describe.each(ORDER_CRASH_POINTS)('killed %s', (point) => {
  test("the shopper's next request completes the order: exactly one, with every unit and the address", async () => {
    const { shopper, cookie } = await orderIntoACrash(point, `${point}-next-request`);
    const pendingId = (await User.findOne({ email: shopper.email }).lean())?.pendingOrders?.[0]?.id;
    // A request at once (this test's app, the default lease) takes the order for one still in
    // progress in its own request, and leaves it alone.
    await request(shop.app).get('/cart').set('Cookie', cookie).expect(200);
    expect(await whereUnitsAre(shopper)).toMatchObject(STATE_AT_CRASH[point]);
    // The next request once the lease is over, served by another process: no restart in between.
    const later = await shop.startAnotherInstance({ now: () => Date.now() + shop.config.pendingOrderLeaseMs + 1000 });
    const page = await request(later.app).get('/orders').set('Cookie', cookie).expect(200);
    expect(rowOf(page.text, 'Green Tea')).toEqual(['Green Tea', '$4.10', '2', '$8.20']);
    expect(rowOf(page.text, 'Tea Cup')).toEqual(['Tea Cup', '$0.20', '1', '$0.20']);
    await expectOrderedOnce(shopper);
    // The order bears the id the claim chose.
    const [order] = (await whereUnitsAre(shopper)).orders;
    if (pendingId) expect(order._id.equals(pendingId)).toBe(true);

    // Settled: further requests change nothing.
    await request(later.app).get('/cart').set('Cookie', cookie).expect(200);
    await expectOrderedOnce(shopper);
    await expectEveryUnitOnce(teaId);
    await expectEveryUnitOnce(cupId);
  });

  test('a restarted shop process completes it at start-up, and the shopper is still logged in there', async () => {
    const { shopper, cookie } = await orderIntoACrash(point, `${point}-restart`);
    const restarted = await shopProcess();
    await expectOrderedOnce(shopper).catch((error: unknown) => {
      throw new Error(`${String(error)}\nThe restarted shop's output:\n${restarted.output()}`);
    });
    if (point === 'after-clear') expect(restarted.output()).not.toContain('completed orders interrupted by a crash');
    else expect(restarted.output()).toMatch(/"completed":1,"msg":"completed orders interrupted by a crash"/);

    const browser = new ShopClient(restarted.url, { headers: { cookie } });
    const orders = await browser.get('/orders');
    browser.close();
    expect(orders.status).toBe(200);
    expect(rowOf(orders.body, 'Total')).toEqual(['Total', '$8.40']);
    await expectEveryUnitOnce(teaId);
    await expectEveryUnitOnce(cupId);
    // The restarted process's housekeeping released what the crash left (and whatever markers the
    // next-request test of this point left: no request settles those).
    await expectNoMarker(teaId);
    await expectNoMarker(cupId);
    expect(await restarted.stop('SIGTERM')).toBe(0);
  });
});

test('a completion repeated after a crash keeps the number drawn: the order numbers follow on', async () => {
  const numbers = (await Order.find({}, { number: 1 }).lean()).map((order) => order.number!);
  expect(numbers).toHaveLength(ORDER_CRASH_POINTS.length * 2);
  const first = Math.min(...numbers);
  expect(numbers.sort((a, b) => a - b)).toEqual(numbers.map((_, i) => first + i));
});

describe('an order whose data is refused gives its lines back', () => {
  test('in one update, merged into lines added meanwhile, only once', async () => {
    const shopper = await newShopper(shop.app, 'given-back');
    const user = await User.findOne({ email: shopper.email });
    const orderId = new mongoose.Types.ObjectId();
    const tea = new mongoose.Types.ObjectId(teaId);
    const cup = new mongoose.Types.ObjectId(cupId);
    await User.updateOne(
      { _id: user!._id },
      {
        $set: {
          'cart.items': [{ productId: tea, quantity: 1 }],
          pendingOrders: [
            {
              id: orderId,
              items: [
                { productId: tea, quantity: 2 },
                { productId: cup, quantity: 1 },
              ],
              at: new Date(),
            },
          ],
        },
      },
    );
    const pendingOrders = new PendingOrders(User);
    await pendingOrders.returnToCart(user!._id, orderId);
    await pendingOrders.returnToCart(user!._id, orderId);
    const after = await User.findById(user!._id).lean();
    expect(after?.cart.items).toEqual([
      { productId: tea, quantity: 3 },
      { productId: cup, quantity: 1 },
    ]);
    expect(after?.pendingOrders).toEqual([]);
  });
});

describe('killed between giving a short order back and its units', () => {
  test("a restarted process's housekeeping gives the units back; the cart is as it was", async () => {
    // Made in this order, the kettle's id sorts first: it is taken, then the lid is short.
    const kettleId = await addProduct(seller, { title: 'Crash Kettle', price: '30.00', stock: '10' });
    const lidId = await addProduct(seller, { title: 'Crash Lid', price: '2.00', stock: '2' });
    const shopper = await newShopper(shop.app, 'short-crash');
    for (const productId of [kettleId, kettleId, lidId, lidId]) {
      await shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId }).expect(302);
    }
    // Someone else bought a lid meanwhile (carts reserve nothing).
    await Product.updateOne({ _id: lidId }, { $set: { stock: 1 } });
    const cookie = await sessionCookieOf(shopper.agent);
    const doomed = await shopProcess({ SHOP_TEST_CRASH_AT: 'after-short-return' });
    const browser = new ShopClient(doomed.url, { headers: { cookie } });
    await expect(browser.postForm('/create-order', { _csrf: shopper.csrf, ...TEST_ADDRESS })).rejects.toThrow();
    browser.close();
    await doomed.exited;
    expect(doomed.child.signalCode).toBe('SIGKILL');
    // The lines are back in the cart; the kettles' units are held by an order that exists nowhere.
    const cartOf = async () =>
      ((await User.findOne({ email: shopper.email }).lean())?.cart.items ?? []).map((item) => [
        item.productId.toHexString(),
        item.quantity,
      ]);
    expect(await cartOf()).toEqual([
      [kettleId, 2],
      [lidId, 2],
    ]);
    expect((await Product.findById(kettleId).lean())?.stock).toBe(8);
    await expectEveryUnitOnce(kettleId, 10);

    const restarted = await shopProcess();
    expect((await Product.findById(kettleId).lean())?.stock).toBe(10);
    await expectNoMarker(kettleId);
    expect((await Product.findById(lidId).lean())?.stock).toBe(1);
    expect(await cartOf()).toEqual([
      [kettleId, 2],
      [lidId, 2],
    ]);
    expect(await Order.countDocuments({ 'items.productId': kettleId })).toBe(0);
    expect(restarted.output()).toMatch(/"removed":1,"msg":"removed stock markers interrupted by a crash"/);
    expect(await restarted.stop('SIGTERM')).toBe(0);
  });
});

describe('killed between cancelling an order and returning its units', () => {
  test("a restarted process's housekeeping returns them, once", async () => {
    const potId = await addProduct(seller, { title: 'Crash Teapot', price: '25.00', stock: '6' });
    const shopper = await newShopper(shop.app, 'cancel-crash');
    for (const productId of [potId, potId]) {
      await shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId }).expect(302);
    }
    const orderId = await placeOrder(shopper);
    expect((await Product.findById(potId).lean())?.stock).toBe(4);

    const cookie = await sessionCookieOf(shopper.agent);
    const doomed = await shopProcess({ SHOP_TEST_CRASH_AT: 'after-cancel' });
    const browser = new ShopClient(doomed.url, { headers: { cookie } });
    await expect(browser.postForm('/orders/cancel', { _csrf: shopper.csrf, orderId })).rejects.toThrow();
    browser.close();
    await doomed.exited;
    expect(doomed.child.signalCode).toBe('SIGKILL');
    expect(await Order.findById(orderId).lean()).toMatchObject({ status: 'cancelled', restockPending: true });
    expect((await Product.findById(potId).lean())?.stock).toBe(4);

    const restarted = await shopProcess();
    expect((await Product.findById(potId).lean())?.stock).toBe(6);
    expect((await Order.findById(orderId).lean())?.restockPending).toBeUndefined();
    expect(restarted.output()).toMatch(/"restocked":1,"msg":"restocked cancellations interrupted by a crash"/);
    // A second process sweeping the same cancellation, as two processes may: nothing more comes back.
    const second = await shopProcess();
    expect((await Product.findById(potId).lean())?.stock).toBe(6);
    await expectEveryUnitOnce(potId, 6);
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(await restarted.stop('SIGTERM')).toBe(0);
  });
});
