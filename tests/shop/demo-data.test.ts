import fs from 'node:fs';
import bcrypt from 'bcrypt';
import mongoose from 'mongoose';
import request from 'supertest';
import sharp from 'sharp';
import { silentLogger } from '../../src/platform/logger';
import { DEMO_LOGIN, DEMO_PICTURES_DIR, demoLoginWorks, seedDemoData } from '../../src/demo-data';
import { IMAGES_BUCKET } from '../../src/catalog/product-images.service';
import { Product } from '../../src/catalog/product.model';
import { User } from '../../src/user.model';
import { Order } from '../../src/cart/order.model';
import { DEMO_BUYER_EMAIL } from '../../src/demo-orders';
import { startTestShop, type TestShop } from '../helpers/shop';

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('demo_data');
});

afterAll(async () => {
  await shop.close();
});

test('demo data fills an empty shop once; the demo login is printed only while it works', async () => {
  expect(await demoLoginWorks()).toBe(false);
  expect(await seedDemoData({ bcryptRounds: 4, logger: silentLogger })).toBe(true);
  expect(await Product.countDocuments()).toBe(12);
  expect(await demoLoginWorks()).toBe(true);
  expect(await Order.countDocuments()).toBe(3);

  // A restart (npm run dev reloads on every change) adds nothing, and the login still works.
  expect(await seedDemoData({ bcryptRounds: 4, logger: silentLogger })).toBe(false);
  expect(await demoLoginWorks()).toBe(true);

  await User.updateOne({ email: DEMO_LOGIN.email }, { $set: { password: await bcrypt.hash('changed-password', 4) } });
  expect(await demoLoginWorks()).toBe(false);
  await User.deleteOne({ email: DEMO_LOGIN.email });
  expect(await demoLoginWorks()).toBe(false);
});

test('every demo product has a photo of its own, drawn in the repository and stored like an upload', async () => {
  // The previous test left the products; the photos came with them.
  const products = await Product.find().lean();
  expect(products).toHaveLength(12);
  const ids = new Set(products.map((product) => product.image?.id.toHexString()));
  expect(ids.size).toBe(12);
  expect(ids.has(undefined)).toBe(false);
  for (const product of products)
    expect(product.image).toMatchObject({ widths: [400, 800, 1200], width: 1200, height: 900 });
  expect(await mongoose.connection.collection(`${IMAGES_BUCKET}.files`).countDocuments()).toBe(36);
  expect(fs.readdirSync(DEMO_PICTURES_DIR).filter((file) => file.endsWith('.svg'))).toHaveLength(12);

  // The shop window shows them, and they are served.
  const page = (await request(shop.app).get('/').expect(200)).text;
  const urls = [...new Set([...page.matchAll(/\/product-images\/[0-9a-f]{24}\/400/g)].map((match) => match[0]))];
  expect(urls.length).toBe(6);
  const photo = await request(shop.app)
    .get(urls[0])
    .buffer(true)
    .parse((res, done) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => done(null, Buffer.concat(parts)));
    })
    .expect(200);
  // A picture, not a blank: its pixels vary.
  const stats = await sharp(photo.body as Buffer).stats();
  expect(stats.channels.some((channel) => channel.stdev > 20)).toBe(true);
});

test('the demo products count their stock (one low, one out of stock, one not counted); the demo seller has orders to send', async () => {
  // The first test left the demo data; its seller's account went at its end, the products and orders stayed.
  const stock = new Map((await Product.find().lean()).map((product) => [product.title, product.stock]));
  expect(stock.get('Noise-Cancelling Headphones')).toBe(0);
  // 3, less the one the demo buyer ordered.
  expect(stock.get('Mechanical Keyboard')).toBe(2);
  expect(stock.get('Sticky Notes, Pack of 12')).toBeUndefined();
  expect(stock.get('Desk Lamp')).toBe(7);

  const orders = await Order.find().sort({ createdAt: 1 }).lean();
  expect(orders.map((order) => order.status)).toEqual(['shipped', 'placed', 'placed']);
  expect(new Set(orders.map((order) => order.user.email))).toEqual(new Set([DEMO_BUYER_EMAIL]));

  // Seeded afresh with its seller: two orders to send, in the navigation.
  await Product.deleteMany({});
  await Order.deleteMany({});
  await User.deleteMany({ email: DEMO_BUYER_EMAIL });
  expect(await seedDemoData({ bcryptRounds: 4, logger: silentLogger })).toBe(true);
  const seller = await User.findOne({ email: DEMO_LOGIN.email }).lean();
  expect(seller?.ordersToSend).toHaveLength(2);
  const agent = request.agent(shop.app);
  const csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/login').expect(200)).text)?.[1];
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrf, ...DEMO_LOGIN })
    .expect(302);
  const page = await agent.get('/products?q=headphones').expect(200);
  expect(page.text).toMatch(/Orders to send <span class="main-nav__cart-count">2</);
  expect(page.text).toContain('>Out of stock</p>');
});
