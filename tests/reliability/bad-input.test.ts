import { Writable } from 'node:stream';
import mongoose from 'mongoose';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config';
import { Product } from '../../src/catalog/product.model';
import {
  TEST_ADDRESS,
  TEST_SECRET,
  addProduct,
  newShopper,
  startTestShop,
  type Shopper,
  type TestShop,
  PRODUCTION_URI,
} from '../helpers/shop';

/*
 * Bad input gets a clear answer, never a crash: prices the form refuses (422, with what was typed),
 * bodies too large (413), and in production a 500 page without details whose request id is the
 * one in the request's log line. (Malformed ids, 404s and the 400 page: tests/shop.)
 */

let shop: TestShop;
let owner: Shopper;
let lampId: string;

beforeAll(async () => {
  shop = await startTestShop('reliability_bad_input');
  owner = await newShopper(shop.app, 'owner');
  lampId = await addProduct(owner, { title: 'Lamp', price: '30' });
});

afterAll(async () => {
  await shop.close();
});

const BAD_PRICES: Array<[string, RegExp]> = [
  ['-3', /Enter a price such as 12 or 12.99/],
  ['-0.01', /Enter a price such as 12 or 12.99/],
  ['abc', /Enter a price such as 12 or 12.99/],
  ['12,50', /Enter a price such as 12 or 12.99/],
  ['NaN', /Enter a price such as 12 or 12.99/],
  ['Infinity', /Enter a price such as 12 or 12.99/],
  ['1e9', /Enter a price such as 12 or 12.99/],
  ['0', /Enter a price above 0 and at most 1,000,000/],
  ['1000000.01', /Enter a price above 0 and at most 1,000,000/],
  ['99999999999999999999999999', /Enter a price above 0 and at most 1,000,000/],
];

test.each(BAD_PRICES)('price %s: a 422 form error that keeps what was typed, nothing saved', async (price, message) => {
  const added = await owner.agent
    .post('/admin/add-product')
    .type('form')
    .send({ _csrf: owner.csrf, title: 'Price test', price, description: 'x', imageUrl: '' });
  expect(added.status).toBe(422);
  expect(added.text).toMatch(message);
  expect(added.text).toContain(`value="${price}"`);
  expect(added.text).toContain('value="Price test"');

  const edited = await owner.agent
    .post('/admin/edit-product')
    .type('form')
    .send({ _csrf: owner.csrf, productId: lampId, title: 'Lamp', price, description: 'x', imageUrl: '' });
  expect(edited.status).toBe(422);
  expect(edited.text).toMatch(message);
  expect(edited.text).toContain(`value="${price}"`);

  expect(await Product.countDocuments({ title: 'Price test' })).toBe(0);
  expect(await Product.findById(lampId).lean()).toMatchObject({ price: 30 });
});

test('too large a body, as a form or as JSON, gets the 413 page, and the shopper stays logged in', async () => {
  const form = await owner.agent
    .post('/admin/edit-product')
    .type('form')
    .send({ _csrf: owner.csrf, productId: lampId, title: 'Lamp', price: '1', description: 'y'.repeat(11_000) });
  expect(form.status).toBe(413);
  expect(form.text).toContain('What you sent is too large.');
  const json = await owner.agent
    .post('/cart')
    .set('x-csrf-token', owner.csrf)
    .send({ productId: lampId, padding: 'z'.repeat(11_000) });
  expect(json.status).toBe(413);
  expect(json.text).toContain('What you sent is too large.');
  expect(await Product.findById(lampId).lean()).toMatchObject({ price: 30 });
  const cart = await owner.agent.get('/cart').expect(200);
  expect(cart.text).toContain(owner.email);
});

test("in production, a failure is a 500 page without details; its request id is the log line's", async () => {
  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'info' }, logStream);
  const config = {
    ...loadConfig({ NODE_ENV: 'production', SESSION_SECRET: TEST_SECRET, MONGODB_URI: PRODUCTION_URI }),
    trustProxy: 1,
  };
  // A store of its own: express-session sets the cookie options on the store it is given.
  const { store } = await shop.startAnotherInstance();
  const production = createApp(config, { sessionStore: store, logger });

  // A shopper logged in (through the test app; the session is the same in MongoDB) with a product
  // in the cart that an order cannot copy: placing the order fails on the server.
  const buyer = await newShopper(shop.app, 'production');
  const broken = new mongoose.Types.ObjectId();
  await mongoose.connection
    .collection('products')
    .insertOne({ _id: broken, price: 1, description: 'no title', imageUrl: '', userId: new mongoose.Types.ObjectId() });
  const cart = await buyer.agent
    .post('/cart')
    .type('form')
    .send({ _csrf: buyer.csrf, productId: broken.toHexString() });
  expect(cart.status).toBe(302);
  const signedId = /sid=([^;]+)/.exec(String(cart.headers['set-cookie']))?.[1];
  expect(signedId).toBeDefined();

  const response = await request(production)
    .post('/create-order')
    .set('X-Forwarded-Proto', 'https')
    .set('Cookie', `__Host-sid=${signedId}`)
    .type('form')
    .send({ _csrf: buyer.csrf, ...TEST_ADDRESS });
  expect(response.status).toBe(500);
  const requestId = /request id <code>([0-9a-f-]{36})<\/code>/.exec(response.text)?.[1];
  expect(requestId).toBeDefined();
  expect(response.text).not.toContain('error-details');
  expect(response.text).not.toMatch(/ValidationError|at .*\.ts:\d+/);

  const logged = lines.map(
    (line) => JSON.parse(line) as { level: number; msg: string; req?: { id: string }; res?: unknown; err?: unknown },
  );
  const failure = logged.find((entry) => entry.msg === 'request failed');
  expect(failure).toMatchObject({ level: 50, req: { id: requestId } });
  // The error, stack included, is in the log (not on the page).
  expect(JSON.stringify(failure?.err)).toContain('ValidationError');
  // The request's own log line, with the same id and the status.
  expect(logged.find((entry) => entry.req?.id === requestId && entry.msg !== 'request failed')).toMatchObject({
    res: { statusCode: 500 },
  });
});
