import { MongoClient, ObjectId, type Db } from 'mongodb';
import { testServerUri, uniqueDbName } from '../helpers/database';

// Sorted pages and counts, as the shop's lists ask for them, against whichever server the global
// setup resolved. The embedded engine answers the common shapes without mingo (src/embedded/sort.ts,
// the count pipeline in query.ts) and the rest through it: both must give MongoDB's answers.

const dbName = uniqueDbName('conformance_sort_count');
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await MongoClient.connect(testServerUri());
  db = client.db(dbName);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

const start = Date.UTC(2024, 0, 1);

test('newest first, one page at a time, with and without a filter', async () => {
  const products = db.collection('products');
  // Inserted in no particular order of time.
  const order = [7, 2, 19, 0, 11, 5, 16, 3, 9, 14, 1, 18, 6, 13, 8, 17, 4, 12, 10, 15];
  await products.insertMany(order.map((n) => ({ n, cheap: n % 2 === 0, createdAt: new Date(start + n * 1000) })));

  const page = await products.find({}).sort({ createdAt: -1 }).skip(3).limit(4).toArray();
  expect(page.map((p) => p.n)).toEqual([16, 15, 14, 13]);
  const oldest = await products
    .find({ cheap: true }, { projection: { _id: 0, n: 1 } })
    .sort({ createdAt: 1 })
    .limit(3)
    .toArray();
  expect(oldest).toEqual([{ n: 0 }, { n: 2 }, { n: 4 }]);
  const pastTheEnd = await products.find({}).sort({ createdAt: -1 }).skip(19).limit(4).toArray();
  expect(pastTheEnd.map((p) => p.n)).toEqual([0]);
});

test('several sort keys, each with its direction; ObjectIds in the order they were made', async () => {
  const items = db.collection('items');
  const ids = Array.from({ length: 6 }, () => new ObjectId());
  await items.insertMany([
    { _id: ids[3], group: 'b', rank: 1 },
    { _id: ids[0], group: 'a', rank: 1 },
    { _id: ids[5], group: 'b', rank: 3 },
    { _id: ids[1], group: 'a', rank: 2 },
    { _id: ids[4], group: 'b', rank: 2 },
    { _id: ids[2], group: 'c', rank: 1 },
  ]);
  const byGroupThenRank = await items.find({}).sort({ group: 1, rank: -1 }).toArray();
  expect(byGroupThenRank.map((i) => `${i.group}${i.rank}`)).toEqual(['a2', 'a1', 'b3', 'b2', 'b1', 'c1']);
  const newestIds = await items.find({}).sort({ _id: -1 }).limit(3).toArray();
  expect(newestIds.map((i) => i._id.toHexString())).toEqual([ids[5], ids[4], ids[3]].map((id) => id.toHexString()));
});

test('missing values sort first, and mixed kinds in MongoDB type order', async () => {
  const mixed = db.collection('mixed');
  await mixed.insertMany([
    { k: 'v3', v: 'b' },
    { k: 'v1', v: 3 },
    { k: 'none' },
    { k: 'v2', v: 'a' },
    { k: 'v0', v: 1 },
  ]);
  const ascending = await mixed.find({}).sort({ v: 1 }).toArray();
  expect(ascending.map((d) => d.k)).toEqual(['none', 'v0', 'v1', 'v2', 'v3']);
  const descending = await mixed.find({}).sort({ v: -1 }).limit(2).toArray();
  expect(descending.map((d) => d.k)).toEqual(['v3', 'v2']);
});

test('countDocuments with a filter, skip and limit; a grouping by a field still groups', async () => {
  const things = db.collection('things');
  await things.insertMany(Array.from({ length: 30 }, (_, n) => ({ n, colour: ['red', 'green', 'blue'][n % 3] })));
  expect(await things.countDocuments()).toBe(30);
  expect(await things.countDocuments({ colour: 'red' })).toBe(10);
  expect(await things.countDocuments({}, { skip: 25 })).toBe(5);
  expect(await things.countDocuments({}, { skip: 5, limit: 10 })).toBe(10);
  expect(await things.countDocuments({ colour: 'purple' })).toBe(0);
  expect(await things.countDocuments({}, { skip: 40 })).toBe(0);

  const perColour = await things
    .aggregate([
      { $match: { n: { $lt: 7 } } },
      { $group: { _id: '$colour', total: { $sum: 1 } } },
      { $sort: { _id: 1 } },
    ])
    .toArray();
  expect(perColour).toEqual([
    { _id: 'blue', total: 2 },
    { _id: 'green', total: 2 },
    { _id: 'red', total: 3 },
  ]);
  const all = await things.aggregate([{ $group: { _id: null, count: { $sum: 1 } } }]).toArray();
  expect(all).toEqual([{ _id: null, count: 30 }]);
});
