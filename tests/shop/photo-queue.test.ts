import type { Express } from 'express';
import mongoose from 'mongoose';
import sharp from 'sharp';
import { createApp } from '../../src/app';
import { PhotoQueue } from '../../src/catalog/photo-queue';
import { Product } from '../../src/catalog/product.model';
import { IMAGES_BUCKET } from '../../src/catalog/product-images.service';
import { silentLogger } from '../../src/platform/logger';
import { newShopper, startTestShop, type Shopper, type TestShop } from '../helpers/shop';

/*
 * A shop busy with photos (issue 21, item 4): beyond the photos it decodes at once and those
 * waiting, an upload is answered 503 with Retry-After and the form again with what was typed,
 * nothing stored; the seller sends it again later. Two ways to meet a full queue: no place for the
 * file as it arrives (it is read past, never kept), or no turn for its decoding.
 * tests/reliability/photo-burst.test.ts does it with 140 real uploads to a real process.
 */

let shop: TestShop;
let app: Express;
let queue: PhotoQueue;
let seller: Shopper;
let photo: Buffer;

const TYPED = { title: 'Busy Bag', price: '19.90', description: 'Sent while the shop was busy.', imageUrl: '' };
const BUSY =
  'Too many photos are being processed right now, so nothing was saved: choose your photo again and send the form in a few seconds.';

beforeAll(async () => {
  shop = await startTestShop('photo_queue');
  queue = new PhotoQueue({ concurrency: 1, queue: 0 });
  app = createApp(shop.config, { sessionStore: shop.store, logger: silentLogger, photoQueue: queue });
  seller = await newShopper(app, 'busy-seller');
  photo = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#3a7' } })
    .jpeg()
    .toBuffer();
});

afterAll(async () => {
  await shop.close();
});

function post(path: string, fields: Record<string, string>) {
  let request = seller.agent.post(path).field('_csrf', seller.csrf);
  for (const [name, value] of Object.entries(fields)) request = request.field(name, value);
  return request.attach('image', photo, { filename: 'bag.jpg', contentType: 'image/jpeg' });
}

const storedFiles = () => mongoose.connection.collection(`${IMAGES_BUCKET}.files`).countDocuments();

function expectBusyPage(response: { status: number; headers: Record<string, string>; text: string }): void {
  expect(response.status).toBe(503);
  expect(response.headers['retry-after']).toBe('5');
  expect(response.text).toContain(`<p class="field-error" id="image-error">${BUSY}</p>`);
  expect(response.text).toContain('value="Busy Bag"');
  expect(response.text).toContain('value="19.90"');
  expect(response.text).toContain('>Sent while the shop was busy.</textarea>');
}

test('no place for the file as it arrives: 503, Retry-After, the form with what was typed, nothing stored', async () => {
  // Every place taken, as by uploads still being read or decoded.
  const release = queue.hold();
  expect(release).toBeDefined();
  try {
    expectBusyPage(await post('/admin/add-product', TYPED));
  } finally {
    release?.();
  }
  expect(await Product.countDocuments({ title: 'Busy Bag' })).toBe(0);
  expect(await storedFiles()).toBe(0);

  // Once there is room, the same form goes through.
  await post('/admin/add-product', TYPED).expect(302).expect('Location', '/admin/products');
  expect((await Product.findOne({ title: 'Busy Bag' }).lean())?.image).toBeDefined();
});

test('no turn for its decoding: the same 503 page, and on the edit form the product keeps its photo', async () => {
  await post('/admin/add-product', { ...TYPED, title: 'Edited while busy' }).expect(302);
  const before = await Product.findOne({ title: 'Edited while busy' }).lean();
  if (!before?.image) throw new Error('the photo was not stored');
  const productId = before._id.toHexString();
  const filesBefore = await storedFiles();

  let finish!: () => void;
  const decoding = queue.run(() => new Promise<void>((resolve) => (finish = resolve)));
  try {
    expectBusyPage(await post('/admin/add-product', TYPED));
    const edit = await post('/admin/edit-product', { ...TYPED, productId });
    expectBusyPage(edit);
    expect(edit.text).toContain(`name="productId" value="${productId}"`);
  } finally {
    finish();
    await decoding;
  }
  const after = await Product.findById(productId).lean();
  expect(after?.title).toBe('Edited while busy');
  expect(after?.image?.id.toHexString()).toBe(before.image.id.toHexString());
  expect(await storedFiles()).toBe(filesBefore);
});

test('a form without a photo takes no place: it is saved while the queue is full', async () => {
  const release = queue.hold();
  try {
    await seller.agent
      .post('/admin/add-product')
      .field('_csrf', seller.csrf)
      .field('title', 'No photo at all')
      .field('price', '2.00')
      .field('description', 'Sent with an empty file field.')
      .field('imageUrl', '')
      .attach('image', Buffer.alloc(0), { filename: '' })
      .expect(302);
  } finally {
    release?.();
  }
  expect(await Product.countDocuments({ title: 'No photo at all' })).toBe(1);
});
