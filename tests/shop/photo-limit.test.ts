import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app';
import { RATE_LIMITS_COLLECTION } from '../../src/http/rate-limit-store';
import { silentLogger } from '../../src/platform/logger';
import { newShopper, startTestShop, type Shopper, type TestShop } from '../helpers/shop';

/*
 * Product forms with a photo cost real CPU (a decode and three encodes): a shopper may send only so
 * many a window. Counted before the body is read, per shopper; forms without a photo are not.
 */

let shop: TestShop;
let app: Express;

beforeAll(async () => {
  shop = await startTestShop('photo_limit');
  const config = shop.config;
  app = createApp(
    { ...config, rateLimit: { ...config.rateLimit, photos: { perShopper: 2, windowMs: 60 * 60 * 1000 } } },
    { sessionStore: shop.store, logger: silentLogger },
  );
});

afterAll(async () => {
  await shop.close();
});

beforeEach(async () => {
  await shop.store.database.collection(RATE_LIMITS_COLLECTION).deleteMany({});
});

/** The add-product form as multipart, as the browser sends it once the form may carry a photo. */
function postMultipart(shopper: Shopper, title: string) {
  return shopper.agent
    .post('/admin/add-product')
    .field('_csrf', shopper.csrf)
    .field('title', title)
    .field('price', '5')
    .field('description', 'A product for the photo limit.')
    .field('imageUrl', '');
}

function postUrlencoded(shopper: Shopper, title: string) {
  return shopper.agent
    .post('/admin/add-product')
    .type('form')
    .send({ _csrf: shopper.csrf, title, price: '5', description: 'No photo here.', imageUrl: '' });
}

test('the third multipart product form in a window is refused with 429, before its body is read', async () => {
  const seller = await newShopper(app, 'seller');
  await postMultipart(seller, 'First').expect(302);
  await postMultipart(seller, 'Second').expect(302);
  const refused = await postMultipart(seller, 'Third').expect(429);
  expect(refused.headers['retry-after']).toBeDefined();
  expect(refused.text).toContain('href="/admin/products"');
  expect(await shop.store.database.collection('products').countDocuments({ title: 'Third' })).toBe(0);
});

test('forms without a photo are not counted, and each shopper has a count of their own', async () => {
  const seller = await newShopper(app, 'plain');
  for (const title of ['Plain 1', 'Plain 2', 'Plain 3']) await postUrlencoded(seller, title).expect(302);
  await postMultipart(seller, 'Photo 1').expect(302);
  await postMultipart(seller, 'Photo 2').expect(302);
  await postMultipart(seller, 'Photo 3').expect(429);
  const other = await newShopper(app, 'other');
  await postMultipart(other, 'Other 1').expect(302);
});

test('a visitor is sent to log in, not counted', async () => {
  const response = await request(app).post('/admin/add-product').field('title', 'Anonymous');
  expect([302, 403]).toContain(response.status);
  expect(await shop.store.database.collection(RATE_LIMITS_COLLECTION).countDocuments()).toBe(0);
});
