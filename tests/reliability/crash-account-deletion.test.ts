import { User } from '../../src/user.model';
import { Product } from '../../src/catalog/product.model';
import { Order } from '../../src/cart/order.model';
import { startShopProcess, type ShopProcess } from '../../tools/processes';
import { ShopClient } from '../../tools/shop-client';
import { testServerUri } from '../helpers/database';
import {
  TEST_SECRET,
  addProduct,
  newShopper,
  placeOrder,
  sessionCookieOf,
  startTestShop,
  type TestShop,
} from '../helpers/shop';

/*
 * An account is deleted in steps (accounts.service.ts): the sessions end, the User goes (a record
 * of the deletion written first), then the other areas clean up after it. A shop process killed
 * by SIGKILL between the User and the clean-up leaves the record; the next shop process to start
 * finishes the clean-up: nothing of the account stays on sale or in a cart, its orders lose the email.
 */

jest.setTimeout(120_000);

let shop: TestShop;
const running: ShopProcess[] = [];

beforeAll(async () => {
  shop = await startTestShop('crash_deletion');
});

afterAll(async () => {
  await Promise.all(running.map((child) => child.stop('SIGKILL')));
  await shop?.close();
});

async function shopProcess(env: Record<string, string> = {}): Promise<ShopProcess> {
  const url = new URL(testServerUri());
  url.pathname = `/${shop.dbName}`;
  const started = await startShopProcess({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    MONGODB_URI: url.toString(),
    ...env,
  });
  running.push(started);
  return started;
}

test('killed between deleting the User and the clean-up: the next shop process to start finishes it', async () => {
  const seller = await newShopper(shop.app, 'crashing-seller');
  const sellerId = (await User.findOne({ email: seller.email }).orFail())._id;
  const vaseId = await addProduct(seller, { title: 'Orphaned Vase', price: '12.00' });
  await addProduct(seller, { title: 'Orphaned Bowl', price: '8.00' });
  await seller.agent.post('/cart').type('form').send({ _csrf: seller.csrf, productId: vaseId }).expect(302);
  await placeOrder(seller);
  const buyer = await newShopper(shop.app, 'buyer');
  await buyer.agent.post('/cart').type('form').send({ _csrf: buyer.csrf, productId: vaseId }).expect(302);

  const doomed = await shopProcess({ SHOP_TEST_CRASH_AT: 'after-user-deleted' });
  const browser = new ShopClient(doomed.url, { headers: { cookie: await sessionCookieOf(seller.agent) } });
  await expect(
    browser.postForm('/account/delete', { _csrf: seller.csrf, currentPassword: seller.password }),
  ).rejects.toThrow();
  browser.close();
  await doomed.exited;
  expect(doomed.child.signalCode).toBe('SIGKILL');
  // The crash's state: the User gone, what the clean-up removes still there.
  expect(await User.exists({ _id: sellerId })).toBeNull();
  expect(await Product.countDocuments({ userId: sellerId })).toBe(2);
  expect(await Order.countDocuments({ 'user.email': seller.email })).toBe(1);

  const restarted = await shopProcess();
  expect(restarted.output()).toMatch(/"finished":1,"msg":"finished account deletions interrupted by a crash"/);
  expect(await Product.countDocuments({ userId: sellerId })).toBe(0);
  expect(await Order.countDocuments({ 'user.email': seller.email })).toBe(0);
  expect(await Order.countDocuments({ 'user.userId': sellerId })).toBe(1);
  const buyerCart = (await User.findOne({ email: buyer.email }).orFail().lean()).cart.items;
  expect(buyerCart).toEqual([]);
  expect(await restarted.stop('SIGTERM')).toBe(0);
});
