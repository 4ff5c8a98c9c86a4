import request from 'supertest';
import { Product } from '../../src/catalog/product.model';
import { commandsDuring } from '../helpers/commands';
import { addProduct, newShopper, placeOrder, startTestShop, type Shopper, type TestShop } from '../helpers/shop';

/*
 * The product pages are read through a short cache (services/catalog.ts). What must hold: a change
 * made through this app shows at once; one made by another process shows within the cache time;
 * carts and orders never see a cached price; parallel views of a missing page share one read.
 */

const CACHE_MS = 1000;
// Not 0: lru-cache takes a start time of 0 for "no time kept". The clock moves only when a test says so.

/** What a list page reads: the products' count, the hidden ones' count (subtracted), the page. */
const LIST_PAGE = ['count products', 'aggregate products', 'find products'];
let clock = 1_000_000;
let shop: TestShop;
let owner: Shopper;

beforeAll(async () => {
  shop = await startTestShop('catalog_cache', {
    catalogCache: { cacheMs: CACHE_MS, now: () => clock },
  });
  owner = await newShopper(shop.app, 'owner');
});

afterAll(async () => {
  await shop.close();
});

/** A second process with its own cache, on the same clock. */
async function anotherProcess() {
  return shop.startAnotherInstance({
    catalogCache: { cacheMs: CACHE_MS, now: () => clock },
  });
}

async function editProduct(productId: string, fields: { title: string; price: string }): Promise<void> {
  await owner.agent
    .post('/admin/edit-product')
    .type('form')
    .send({ _csrf: owner.csrf, productId, description: 'A product for tests.', imageUrl: '', ...fields })
    .expect(302)
    .expect('Location', '/admin/products');
}

test('a product added, changed or deleted through the admin pages shows at once on this process', async () => {
  const elsewhere = await anotherProcess();
  const list = () => request(shop.app).get('/products').expect(200);
  expect((await list()).text).not.toContain('Kettle');
  await request(elsewhere.app).get('/products').expect(200);

  const kettleId = await addProduct(owner, { title: 'Kettle', price: '30.00' });
  expect((await list()).text).toContain('Kettle');

  await editProduct(kettleId, { title: 'Copper Kettle', price: '45.00' });
  const detail = (await request(shop.app).get(`/products/${kettleId}`).expect(200)).text;
  expect(detail).toContain('Copper Kettle');
  expect(detail).toContain('45.00');
  expect((await list()).text).toContain('Copper Kettle');

  // Another process still shows what it read, until its cache time is over.
  expect((await request(elsewhere.app).get('/products').expect(200)).text).not.toContain('Kettle');
  clock += CACHE_MS + 1;
  expect((await request(elsewhere.app).get('/products').expect(200)).text).toContain('Copper Kettle');

  await owner.agent
    .post('/admin/delete-product')
    .type('form')
    .send({ _csrf: owner.csrf, productId: kettleId })
    .expect(302);
  expect((await list()).text).not.toContain('Kettle');
  await request(shop.app).get(`/products/${kettleId}`).expect(404);
  // Nor can it be added to a cart here, although it was cached a moment ago.
  await owner.agent.post('/cart').type('form').send({ _csrf: owner.csrf, productId: kettleId }).expect(404);
});

test('the cart and the order use the price in the database, not the one on a cached page', async () => {
  const teaId = await addProduct(owner, { title: 'Oolong', price: '8.00' });
  const shopper = await newShopper(shop.app, 'buyer');
  expect((await shopper.agent.get(`/products/${teaId}`).expect(200)).text).toContain('8.00');
  // Another process changes the price: this one's product page may show the old one for a moment...
  await Product.updateOne({ _id: teaId }, { $set: { price: 9.5 } });
  expect((await shopper.agent.get(`/products/${teaId}`).expect(200)).text).toContain('8.00');

  // ...but what the shopper pays is read afresh.
  await shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId: teaId }).expect(302);
  expect((await shopper.agent.get('/cart').expect(200)).text).toContain('9.50');
  await placeOrder(shopper);
  const orders = (await shopper.agent.get('/orders').expect(200)).text;
  expect(orders).toContain('9.50');
  expect(orders).not.toContain('8.00');
});

test('parallel views of a page missing from the cache share its counts and its find', async () => {
  clock += CACHE_MS + 1;
  const recorded = await commandsDuring(shop.store, () =>
    Promise.all(Array.from({ length: 20 }, () => request(shop.app).get('/products').expect(200))),
  );
  expect(recorded.on('products')).toEqual(LIST_PAGE);
});

test('a product that does not exist is not remembered: it shows as soon as it is created', async () => {
  const elsewhere = await anotherProcess();
  const id = new Product()._id;
  await request(shop.app).get(`/products/${id.toHexString()}`).expect(404);
  await Product.create({ _id: id, title: 'Late Arrival', price: 3, description: 'Made elsewhere.', userId: id });
  expect((await request(shop.app).get(`/products/${id.toHexString()}`).expect(200)).text).toContain('Late Arrival');
  await request(elsewhere.app).get(`/products/${id.toHexString()}`).expect(200);
});

test('with CATALOG_CACHE_MS=0 every view reads the database', async () => {
  const uncached = await shop.startAnotherInstance({
    catalogCache: { cacheMs: 0 },
  });
  for (let view = 0; view < 2; view++) {
    const recorded = await commandsDuring(uncached.store, () => request(uncached.app).get('/products').expect(200));
    expect(recorded.on('products')).toEqual(LIST_PAGE);
  }
});
