import request from 'supertest';
import { Types } from 'mongoose';
import { User } from '../../src/user.model';
import { Product } from '../../src/catalog/product.model';
import {
  addProduct,
  newShopper,
  startTestShop,
  type Agent,
  type ShopInstance,
  type Shopper,
  type TestShop,
} from '../helpers/shop';

/*
 * Issue 21, item 5: a deleted product never comes back into a cart. Each process keeps product
 * details for a second (the catalog's cache), so adding to the cart asks the database; an add
 * racing the deletion is undone; a line whose product is gone leaves the cart when it is read,
 * and the navigation stops counting it.
 */

jest.setTimeout(120_000);

// The caches' clock stands still: whatever a process read stays fresh for the whole test.
const clock = () => 1_000_000;
const cachedCatalog = () => ({ cacheMs: 60_000, now: clock });

let shop: TestShop;
let elsewhere: ShopInstance;
let seller: Shopper;

beforeAll(async () => {
  shop = await startTestShop('deleted_product_cart', { catalogCache: cachedCatalog() });
  elsewhere = await shop.startAnotherInstance({ catalogCache: cachedCatalog() });
  seller = await newShopper(shop.app, 'seller');
});

afterAll(async () => {
  await shop?.close();
});

function deleteProduct(productId: string) {
  return seller.agent.post('/admin/delete-product').type('form').send({ _csrf: seller.csrf, productId });
}

function addToCart(agent: Agent, csrf: string, productId: string) {
  return agent.post('/cart').type('form').send({ _csrf: csrf, productId, returnTo: '/products' });
}

async function cartOf(shopper: Shopper): Promise<string[]> {
  const user = await User.findOne({ email: shopper.email }).orFail().lean();
  return user.cart.items.map((item) => `${item.productId.toHexString()} x${item.quantity}`);
}

const COUNT = 'main-nav__cart-count';

/** The same shopper, logged in on the other process. */
async function onOtherProcess(shopper: Shopper): Promise<Agent> {
  const agent = request.agent(elsewhere.app);
  // The session cookie is the shopper's: every process reads sessions from MongoDB.
  for (const cookie of await shopper.agent.jar.getCookies({
    path: '/',
    domain: '127.0.0.1',
    secure: false,
    script: false,
  }))
    agent.jar.setCookie(`${cookie.name}=${cookie.value}`, '127.0.0.1', '/');
  return agent;
}

test('deleted through one process, added through another that still has it cached: 404, nothing added', async () => {
  const buyer = await newShopper(shop.app, 'buyer');
  const there = await onOtherProcess(buyer);
  const productId = await addProduct(seller, { title: 'Vanishing Vase', price: '20.00' });
  // The other process now holds the product in its cache.
  expect((await there.get(`/products/${productId}`).expect(200)).text).toContain('Vanishing Vase');
  await deleteProduct(productId).expect(302);
  // It still shows the product (its cache), but the add is refused.
  expect((await there.get(`/products/${productId}`).expect(200)).text).toContain('Vanishing Vase');
  await addToCart(there, buyer.csrf, productId).expect(404);
  expect(await cartOf(buyer)).toEqual([]);
  expect((await there.get('/products').expect(200)).text).not.toContain(COUNT);
});

test('deleted, then added through the same process: 404, nothing added', async () => {
  const buyer = await newShopper(shop.app, 'same-process');
  const productId = await addProduct(seller, { title: 'Fleeting Fork', price: '2.00' });
  await buyer.agent.get(`/products/${productId}`).expect(200);
  await deleteProduct(productId).expect(302);
  await addToCart(buyer.agent, buyer.csrf, productId).expect(404);
  expect(await cartOf(buyer)).toEqual([]);
});

test('an add racing the deletion (30 rounds, two processes) never leaves the line in the cart', async () => {
  const buyer = await newShopper(shop.app, 'racer');
  const there = await onOtherProcess(buyer);
  const ghosts: string[] = [];
  const statuses = new Set<number>();
  for (let round = 1; round <= 30; round++) {
    const productId = await addProduct(seller, { title: `Racing Ruler ${round}`, price: '1.00' });
    await there.get(`/products/${productId}`).expect(200);
    await buyer.agent.get(`/products/${productId}`).expect(200);
    const [, ...adds] = await Promise.all([
      deleteProduct(productId).expect(302),
      addToCart(there, buyer.csrf, productId),
      addToCart(buyer.agent, buyer.csrf, productId),
      addToCart(there, buyer.csrf, productId),
    ]);
    for (const add of adds) statuses.add(add.status);
    const left = (await cartOf(buyer)).filter((line) => line.startsWith(productId));
    if (left.length > 0) ghosts.push(`round ${round}: ${left.join(', ')}`);
  }
  expect(ghosts).toEqual([]);
  // Each add either came before the deletion (added, then taken out by it) or after (not found).
  expect([...statuses].filter((status) => status !== 302 && status !== 404)).toEqual([]);
  expect((await buyer.agent.get('/products').expect(200)).text).not.toContain(COUNT);
});

test('a line whose product is gone leaves the cart when the cart is read, and the count with it', async () => {
  const buyer = await newShopper(shop.app, 'left-with-a-ghost');
  const keptId = await addProduct(seller, { title: 'Staying Stool', price: '15.00' });
  await addToCart(buyer.agent, buyer.csrf, keptId).expect(302);
  // A line left by some earlier path (a product removed behind the shop's back, an old release).
  const ghost = new Types.ObjectId();
  await User.updateOne({ email: buyer.email }, { $push: { 'cart.items': { productId: ghost, quantity: 4 } } });
  expect(await Product.exists({ _id: ghost })).toBeNull();
  expect((await buyer.agent.get('/products').expect(200)).text).toContain(`${COUNT}">5<`);

  const cart = await buyer.agent.get('/cart').expect(200);
  expect(cart.text).toContain('Staying Stool');
  expect(cart.text).toContain(`${COUNT}">1<`);
  expect(await cartOf(buyer)).toEqual([`${keptId} x1`]);
  expect((await buyer.agent.get('/products').expect(200)).text).toContain(`${COUNT}">1<`);
});
