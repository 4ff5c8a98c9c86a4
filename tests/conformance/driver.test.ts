import net from 'node:net';
import { Decimal128, MongoClient, ObjectId, type Db } from 'mongodb';
import { testServerUri, uniqueDbName } from '../helpers/database';

// The raw drivers against whichever server the global setup resolved: cursors, concurrency,
// TTL and misbehaving clients must look the same as on a real MongoDB.

// connect-mongodb-session brings the older 6.x driver; the server must serve both at once.
const { MongoClient: LegacyMongoClient } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('connect-mongodb-session/node_modules/mongodb') as typeof import('mongodb');

const dbName = uniqueDbName('conformance_driver');
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

test('a cursor returns every document across several getMore batches', async () => {
  const items = db.collection('items');
  await items.insertMany(Array.from({ length: 250 }, (_, n) => ({ n })));
  const cursor = items.find({}, { batchSize: 40 }).sort({ n: 1 });
  const seen: number[] = [];
  for await (const doc of cursor) seen.push(doc.n as number);
  expect(seen).toEqual(Array.from({ length: 250 }, (_, n) => n));
});

test('ObjectId, Date and Decimal128 round-trip and compare exactly', async () => {
  const values = db.collection('values');
  const id = new ObjectId();
  const when = new Date('2024-02-29T12:34:56.789Z');
  await values.insertOne({ _id: id, when, price: Decimal128.fromString('19.99') });
  await values.insertOne({
    _id: new ObjectId(),
    when: new Date(when.getTime() + 1),
    price: Decimal128.fromString('2.50'),
  });

  const back = await values.findOne({ _id: id });
  expect(back?._id.equals(id)).toBe(true);
  expect((back?.when as Date).toISOString()).toBe(when.toISOString());
  expect((back?.price as Decimal128).toString()).toBe('19.99');

  expect(await values.countDocuments({ when: { $gt: when } })).toBe(1);
  expect(await values.countDocuments({ _id: { $in: [id] } })).toBe(1);
  const cheapest = await values.find({}).sort({ price: 1 }).limit(1).next();
  expect((cheapest?.price as Decimal128).toString()).toBe('2.50');
});

test('two clients (the 7.x and the 6.x driver) writing at once lose no update', async () => {
  const legacy = await LegacyMongoClient.connect(testServerUri());
  try {
    const counters = db.collection('counters');
    await counters.insertOne({ _id: 'c' as unknown as ObjectId, value: 0 });
    const legacyCounters = legacy.db(dbName).collection('counters');
    const increments = Array.from({ length: 100 }, (_, i) =>
      (i % 2 === 0 ? counters : legacyCounters).updateOne({ _id: 'c' as unknown as ObjectId }, { $inc: { value: 1 } }),
    );
    await Promise.all(increments);
    expect((await counters.findOne({ _id: 'c' as unknown as ObjectId }))?.value).toBe(100);
  } finally {
    await legacy.close();
  }
});

test('a TTL index removes expired documents', async () => {
  const expiring = db.collection('expiring');
  await expiring.createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
  await expiring.insertMany([
    { name: 'old', expires: new Date(Date.now() - 60_000) },
    { name: 'fresh', expires: new Date(Date.now() + 3_600_000) },
  ]);
  // The global setup runs its servers with a 1 s TTL monitor; a real MongoDB may need this.
  await client
    .db('admin')
    .command({ setParameter: 1, ttlMonitorSleepSecs: 1 })
    .catch(() => undefined);
  const deadline = Date.now() + 20_000;
  while ((await expiring.countDocuments({ name: 'old' })) > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(await expiring.find({}, { projection: { _id: 0, name: 1 } }).toArray()).toEqual([{ name: 'fresh' }]);
});

test('an unknown command is refused at once with CommandNotFound', async () => {
  await expect(db.command({ noSuchCommandAnywhere: 1 })).rejects.toMatchObject({ code: 59 });
});

test('a malformed message closes only that connection; others keep working', async () => {
  const url = new URL(testServerUri());
  if (url.protocol !== 'mongodb:' || url.host.includes(',')) return; // raw sockets need one plain host
  const socket = net.connect({ host: url.hostname, port: Number(url.port || 27017) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  // A header that claims 2 GiB, then garbage: no server should try to buffer that.
  const header = Buffer.alloc(16);
  header.writeInt32LE(0x7fffffff, 0);
  header.writeInt32LE(1, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(2013, 12);
  socket.write(Buffer.concat([header, Buffer.from('not bson at all')]));
  await closed;

  expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  expect(await db.collection('items').countDocuments()).toBeGreaterThanOrEqual(0);
});

test('the positional $ operator reaches arrays inside embedded documents', async () => {
  const carts = db.collection('nested_carts');
  await carts.insertOne({
    _id: 'u' as unknown as ObjectId,
    cart: {
      items: [
        { k: 'a', n: 1 },
        { k: 'b', n: 5 },
      ],
    },
  });
  await carts.updateOne({ _id: 'u' as unknown as ObjectId, 'cart.items.k': 'b' }, { $inc: { 'cart.items.$.n': 1 } });
  await carts.updateOne({ 'cart.items': { $elemMatch: { k: 'a' } } }, { $set: { 'cart.items.$.n': 9 } });
  expect((await carts.findOne({}))?.cart).toEqual({
    items: [
      { k: 'a', n: 9 },
      { k: 'b', n: 6 },
    ],
  });
  await expect(
    carts.updateOne({ _id: 'u' as unknown as ObjectId }, { $set: { 'cart.items.$.n': 0 } }),
  ).rejects.toMatchObject({
    code: 2,
  });
});
