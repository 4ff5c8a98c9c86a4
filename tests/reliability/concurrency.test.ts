import mongoose from 'mongoose';
import { Order } from '../../src/cart/order.model';
import { User } from '../../src/user.model';
import {
  CONFIRMATION_PATH,
  TEST_ADDRESS,
  addProduct,
  newShopper,
  sessionsCollection,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';
import { rowOf } from '../helpers/tables';

/*
 * One shopper, many requests at once (double clicks, several tabs): nothing counted twice,
 * nothing lost, and the session as login left it.
 */

let shop: TestShop;
let seller: Shopper;
let teaId: string;
let cupId: string;

beforeAll(async () => {
  // Every request writes the session's expiry (no throttling): as many session writes as possible.
  shop = await startTestShop('concurrency', { touchIntervalMs: 0 });
  seller = await newShopper(shop.app, 'seller');
  teaId = await addProduct(seller, { title: 'Parallel Tea', price: '4.10' });
  cupId = await addProduct(seller, { title: 'Parallel Cup', price: '0.20' });
});

afterAll(async () => {
  await shop.close();
});

function addToCart(shopper: Shopper, productId: string) {
  return shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId });
}

/** "Place order" on the checkout page, the address filled in. */
function orderNow(shopper: Shopper) {
  return shopper.agent
    .post('/create-order')
    .type('form')
    .send({ _csrf: shopper.csrf, ...TEST_ADDRESS });
}

async function cartItems(shopper: Shopper) {
  const user = await User.findOne({ email: shopper.email }).lean();
  return (user?.cart.items ?? []).map((item) => ({ productId: item.productId.toHexString(), quantity: item.quantity }));
}

test('"Order now" clicked 10 times at once: one order with the whole cart, and an empty cart', async () => {
  const buyer = await newShopper(shop.app, 'double-click');
  await addToCart(buyer, teaId).expect(302);
  await addToCart(buyer, teaId).expect(302);
  await addToCart(buyer, cupId).expect(302);

  const responses = await Promise.all(Array.from({ length: 10 }, () => orderNow(buyer)));
  // One lands on its order's confirmation; the others found the cart already empty and go back to it.
  const locations = responses
    .map(
      (response) =>
        `${response.status} ${String(response.headers.location).replace(CONFIRMATION_PATH, '/orders/:id/confirmation')}`,
    )
    .sort();
  expect(locations).toEqual([
    '302 /cart',
    '302 /cart',
    '302 /cart',
    '302 /cart',
    '302 /cart',
    '302 /cart',
    '302 /cart',
    '302 /cart',
    '302 /cart',
    '302 /orders/:id/confirmation',
  ]);

  const orders = await Order.find({ 'user.email': buyer.email }).lean();
  expect(orders).toHaveLength(1);
  expect(orders[0].items.map(({ title, quantity }) => ({ title, quantity }))).toEqual([
    { title: 'Parallel Tea', quantity: 2 },
    { title: 'Parallel Cup', quantity: 1 },
  ]);
  expect(await cartItems(buyer)).toEqual([]);
});

test('adds and orders interleaved: every unit ends up in exactly one place, the orders or the cart', async () => {
  const buyer = await newShopper(shop.app, 'interleaved');
  const requests = Array.from({ length: 30 }, (_, i) =>
    i % 6 === 5 ? orderNow(buyer) : addToCart(buyer, i % 2 ? teaId : cupId),
  );
  const responses = await Promise.all(requests);
  expect(responses.filter((response) => response.status !== 302).map((r) => r.text.slice(0, 3000))).toEqual([]);

  const ordered = (await Order.find({ 'user.email': buyer.email }).lean()).flatMap((order) => order.items);
  const units = (items: Array<{ productId: unknown; quantity: number }>, id: string) =>
    items.filter((item) => String(item.productId) === id).reduce((sum, item) => sum + item.quantity, 0);
  const inCart = await cartItems(buyer);
  // 5 orders (i = 5, 11, ..., 29) and 25 adds: 15 cups (even i) and 10 teas (the other odd i).
  expect(units(ordered, cupId) + units(inCart, cupId)).toBe(15);
  expect(units(ordered, teaId) + units(inCart, teaId)).toBe(10);
});

test('pages loaded in other tabs while an order is placed leave it to its request: no order number skipped', async () => {
  const buyer = await newShopper(shop.app, 'many-tabs');
  const ROUNDS = 20;
  const answers: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await addToCart(buyer, round % 2 ? teaId : cupId).expect(302);
    const [order, ...pages] = await Promise.all([
      orderNow(buyer),
      ...Array.from({ length: 4 }, (_, tab) => buyer.agent.get(tab % 2 ? '/cart' : '/orders')),
    ]);
    expect(order.headers.location).toMatch(CONFIRMATION_PATH);
    answers.push(...pages.map((page) => page.status));
  }
  expect(answers.filter((status) => status !== 200)).toEqual([]);
  const numbers = (await Order.find({ 'user.email': buyer.email }).lean()).map((order) => order.number!);
  expect(numbers).toHaveLength(ROUNDS);
  // Nobody else ordered meanwhile: the numbers follow on, none drawn and dropped.
  const first = Math.min(...numbers);
  expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: ROUNDS }, (_, i) => first + i));
});

test('an order that cannot be saved leaves the cart as it was', async () => {
  const buyer = await newShopper(shop.app, 'failed-order');
  // A product record the order cannot copy (no title: an order line requires one), written
  // around the model, as an old import might have left it.
  const broken = new mongoose.Types.ObjectId();
  await mongoose.connection
    .collection('products')
    .insertOne({ _id: broken, price: 1, description: 'legacy', imageUrl: '', userId: new mongoose.Types.ObjectId() });
  await addToCart(buyer, teaId).expect(302);
  await addToCart(buyer, broken.toHexString()).expect(302);
  const before = await cartItems(buyer);

  const response = await orderNow(buyer);
  expect(response.status).toBe(500);
  expect(await Order.countDocuments({ 'user.email': buyer.email })).toBe(0);
  expect(await cartItems(buyer)).toEqual(before);
});

test("a shopper's parallel requests never overwrite each other's session data", async () => {
  const shopper = await newShopper(shop.app, 'many-tabs');
  const sessionsOf = () => sessionsCollection().find({ 'session.user.email': shopper.email }).toArray();
  const [before] = await sessionsOf();
  expect(before.session).toMatchObject({ isLoggedIn: true, user: { email: shopper.email }, csrfToken: shopper.csrf });

  const pages = ['/', '/products', '/cart', '/orders', `/products/${teaId}`, '/admin/products'];
  const requests = Array.from({ length: 60 }, (_, i) =>
    i % 3 === 0 ? addToCart(shopper, cupId) : shopper.agent.get(pages[i % pages.length]),
  );
  const responses = await Promise.all(requests);
  expect(responses.filter((response) => response.status >= 400)).toEqual([]);

  const after = await sessionsOf();
  expect(after).toHaveLength(1);
  const { cookie: _cookieBefore, touchedAt: _touchedBefore, ...dataBefore } = before.session;
  const { cookie: _cookieAfter, touchedAt: _touchedAfter, ...dataAfter } = after[0].session;
  expect(dataAfter).toEqual(dataBefore);
  expect(after[0]._id).toBe(before._id);

  // Still logged in, with the same CSRF token: the next form post works.
  expect(await cartItems(shopper)).toEqual([{ productId: cupId, quantity: 20 }]);
  await addToCart(shopper, cupId).expect(302).expect('Location', '/cart');
  const cart = await shopper.agent.get('/cart').expect(200);
  expect(cart.text).toContain(shopper.email);
  expect(rowOf(cart.text, 'Parallel Cup')?.[2]).toBe('21');
});

test('a storm of adds and removals of one line: each answered, never two lines for one product', async () => {
  const buyer = await newShopper(shop.app, 'storm');
  const removeFromCart = () =>
    buyer.agent.post('/cart-delete-item').type('form').send({ _csrf: buyer.csrf, productId: teaId });
  for (let wave = 0; wave < 3; wave++) {
    const requests = Array.from({ length: 40 }, (_, i) => (i % 2 ? removeFromCart() : addToCart(buyer, teaId)));
    const statuses = (await Promise.all(requests)).map((response) => response.status);
    expect(statuses.filter((status) => status !== 302)).toEqual([]);
    const lines = (await cartItems(buyer)).filter((item) => item.productId === teaId);
    expect(lines.length).toBeLessThanOrEqual(1);
    expect(lines[0]?.quantity ?? 0).toBeLessThanOrEqual(20);
  }
  // Afterwards an add and a removal still do exactly what they say.
  await removeFromCart();
  await addToCart(buyer, teaId);
  await addToCart(buyer, teaId);
  expect(await cartItems(buyer)).toEqual([{ productId: teaId, quantity: 2 }]);
});
