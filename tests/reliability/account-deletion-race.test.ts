import mongoose from 'mongoose';
import request, { type Response } from 'supertest';
import sharp from 'sharp';
import { User } from '../../src/user.model';
import { Product } from '../../src/catalog/product.model';
import { IMAGES_BUCKET } from '../../src/catalog/product-images.service';
import { Order } from '../../src/cart/order.model';
import {
  TEST_ADDRESS,
  addProduct,
  csrfTokenFor,
  csrfTokenIn,
  expectRedirect,
  logIn,
  newShopper,
  startTestShop,
  type Agent,
  type ShopInstance,
  type TestShop,
} from '../helpers/shop';

/*
 * Issue 21, item 1: a shopper deletes their account on one device while another device of the same
 * account, served by another process, keeps adding products (with and without a photo), filling
 * the cart and ordering. Whatever the interleaving: nothing of the account stays on sale, no order
 * keeps its email, no photo file is left without its product, and no request answers 500 (a
 * request that finds the account gone is told its session is over).
 */

jest.setTimeout(240_000);

const ROUNDS = 15;

let shop: TestShop;
let second: ShopInstance;
let teaId: string;
let photo: Buffer;

beforeAll(async () => {
  shop = await startTestShop('deletion_race');
  second = await shop.startAnotherInstance();
  const stall = await newShopper(shop.app, 'stall');
  teaId = await addProduct(stall, { title: 'Race Tea', price: '3.00' });
  photo = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#2e8b57' } })
    .jpeg()
    .toBuffer();
});

afterAll(async () => {
  await shop?.close();
});

interface Device {
  agent: Agent;
  csrf: string;
}

/** What the second device sends, each request on its own: products, cart adds, orders. */
function burst(device: Device, round: number, wave: number): Array<Promise<Response>> {
  const { agent, csrf: _csrf } = device;
  const title = (n: number) => `Left behind ${round}.${wave}.${n}`;
  const product = (n: number) =>
    agent
      .post('/admin/add-product')
      .type('form')
      .send({ _csrf, title: title(n), price: '5.00', description: 'Raced in.', imageUrl: '' });
  const productWithPhoto = (n: number) =>
    agent
      .post('/admin/add-product')
      .field('_csrf', _csrf)
      .field('title', title(n))
      .field('price', '6.00')
      .field('description', 'Raced in, with a photo.')
      .field('imageUrl', '')
      .attach('image', photo, { filename: 'photo.jpg', contentType: 'image/jpeg' });
  const add = () => agent.post('/cart').type('form').send({ _csrf, productId: teaId });
  const order = () =>
    agent
      .post('/create-order')
      .type('form')
      .send({ _csrf, ...TEST_ADDRESS });
  return [product(1), add(), order(), productWithPhoto(2), add(), product(3), order(), add()];
}

const files = () => mongoose.connection.collection(`${IMAGES_BUCKET}.files`);

test(`deleting the account while another device adds and orders leaves nothing behind (${ROUNDS} rounds)`, async () => {
  const problems: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const owner = await newShopper(shop.app, `leaving-${round}`);
    const ownerId = (await User.findOne({ email: owner.email }).orFail())._id;
    const otherAgent = request.agent(second.app);
    expectRedirect(await logIn(otherAgent, owner.email, owner.password), '/');
    const other: Device = { agent: otherAgent, csrf: await csrfTokenFor(otherAgent, '/') };
    // Something in the cart already, so that the first orders have lines to claim.
    await other.agent.post('/cart').type('form').send({ _csrf: other.csrf, productId: teaId }).expect(302);
    const deletePage = await owner.agent.get('/account/delete').expect(200);

    let deleted = false;
    const deletion = Promise.resolve(
      owner.agent
        .post('/account/delete')
        .type('form')
        .send({ _csrf: csrfTokenIn(deletePage.text), currentPassword: owner.password }),
    ).finally(() => (deleted = true));
    const answers: Response[] = [];
    // Waves of parallel requests until the deletion has answered, and one more after it.
    let wave = 0;
    let after = false;
    while (!after) {
      after = deleted;
      answers.push(...(await Promise.all(burst(other, round, ++wave))));
    }
    expectRedirect(await deletion, '/');

    const failed = answers.filter((answer) => answer.status >= 500);
    if (failed.length > 0) problems.push(`round ${round}: ${failed.length} answers 5xx`);
    const onSale = await Product.find({ userId: ownerId }).lean();
    if (onSale.length > 0) problems.push(`round ${round}: ${onSale.map((p) => p.title).join(', ')} still on sale`);
    const withEmail = await Order.countDocuments({ 'user.email': owner.email });
    if (withEmail > 0) problems.push(`round ${round}: ${withEmail} orders keep the email`);
    for (const product of onSale) {
      const page = await request(shop.app).get(`/products/${product._id.toHexString()}`);
      if (page.status !== 404) problems.push(`round ${round}: ${product.title} answers ${page.status}`);
    }
  }

  // Every photo file belongs to a product that exists.
  const productIds = new Set((await Product.find({}, { _id: 1 }).lean()).map((p) => p._id.toHexString()));
  const orphans = await files()
    .find({ 'metadata.productId': { $nin: [...productIds].map((id) => new mongoose.Types.ObjectId(id)) } })
    .toArray();
  if (orphans.length > 0) problems.push(`${orphans.length} photo files without their product`);
  expect(problems).toEqual([]);
});
