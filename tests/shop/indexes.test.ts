import mongoose from 'mongoose';
import { startTestShop, type TestShop } from '../helpers/shop';

/*
 * Every query the shop makes is served by an index (see the models and MongoSessionStore):
 *  users     by _id (load-user, cart updates, the second factor's codes, known devices), by email (login, signup: unique), by a cart item's
 *            product (deleting a product takes it out of every cart)
 *  products  by _id (product pages, and the shop's lists, newest first by _id), by owner (admin pages,
 *            edit and delete: a shopper's own products are few, sorted after the look-up)
 *  orders    by the shopper's id (their orders page), by seller and date (a seller's orders), by
 *            product (units sold), by date (an admin's orders), the cancellations a crash interrupted
 *  sessions  by _id, by expiry (TTL: MongoDB deletes expired ones), by the shopper's id
 */

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('indexes');
});

afterAll(async () => {
  await shop.close();
});

async function indexesOf(collection: string) {
  const db = mongoose.connection.db;
  if (!db) throw new Error('mongoose is not connected');
  const indexes = await db.collection(collection).indexes();
  return indexes.map(({ key, unique, expireAfterSeconds }) => ({
    key,
    ...(unique ? { unique } : {}),
    ...(expireAfterSeconds !== undefined ? { expireAfterSeconds } : {}),
  }));
}

test('users: email is unique; cart items by product', async () => {
  expect(await indexesOf('users')).toEqual(
    expect.arrayContaining([
      { key: { _id: 1 } },
      { key: { email: 1 }, unique: true },
      { key: { 'cart.items.productId': 1 } },
    ]),
  );
});

test('products: by _id, by owner, by search word and by price, and no index that no query uses', async () => {
  expect(await indexesOf('products')).toEqual([
    { key: { _id: 1 } },
    { key: { userId: 1 } },
    { key: { keywords: 1 } },
    { key: { price: 1, _id: 1 } },
    // Sparse, the few products with a stock marker or hidden: the housekeeping's sweep of the
    // markers, and the count of hidden products that a list page subtracts.
    { key: { 'stockTakenBy.order': 1 } },
    { key: { 'restockedFor.order': 1 } },
    { key: { hidden: 1 } },
  ]);
});

test("orders: by the shopper's id, by seller and date, by product, by date, the cancellations to finish", async () => {
  expect(await indexesOf('orders')).toEqual(
    expect.arrayContaining([
      { key: { _id: 1 } },
      { key: { 'user.userId': 1 } },
      { key: { 'items.sellerId': 1, createdAt: -1 } },
      { key: { 'items.productId': 1 } },
      { key: { createdAt: -1 } },
      { key: { restockPending: 1 } },
    ]),
  );
});

test("sessions: TTL on expires, and the shopper's id inside the session", async () => {
  expect(await indexesOf('sessions')).toEqual(
    expect.arrayContaining([
      { key: { _id: 1 } },
      { key: { expires: 1 }, expireAfterSeconds: 0 },
      { key: { 'session.user._id': 1 } },
    ]),
  );
});
