import { MongoClient, MongoBulkWriteError, MongoServerError, type Db } from 'mongodb';
import { Collection } from '../src/collection';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';

// Index semantics the shop relies on, against an engine of this file's own (in memory), through
// the official driver.

let server: EmbeddedMongo;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  server = await startEmbeddedMongo({ port: 0 });
  client = await MongoClient.connect(`${server.uri}/indexes`);
  db = client.db();
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

test('a compound unique index refuses a duplicate pair, with keyPattern and keyValue', async () => {
  const items = db.collection('compound');
  await items.createIndex({ owner: 1, sku: 1 }, { unique: true });
  await items.insertMany([
    { owner: 'a', sku: 1 },
    { owner: 'a', sku: 2 },
    { owner: 'b', sku: 1 },
  ]);
  const error = await items.insertOne({ owner: 'a', sku: 2 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MongoServerError);
  expect(error).toMatchObject({ code: 11000, keyPattern: { owner: 1, sku: 1 }, keyValue: { owner: 'a', sku: 2 } });
  expect((error as Error).message).toMatch(
    /^E11000 duplicate key error collection: indexes.compound index: owner_1_sku_1/,
  );
});

test('a sparse unique index ignores documents without the field', async () => {
  const users = db.collection('sparse');
  await users.createIndex({ nickname: 1 }, { unique: true, sparse: true });
  await users.insertMany([{ name: 'x' }, { name: 'y' }, { nickname: 'n' }]);
  await expect(users.insertOne({ nickname: 'n' })).rejects.toMatchObject({ code: 11000 });
  expect(await users.countDocuments()).toBe(3);
});

test('ordered inserts stop at the first duplicate; unordered ones report each and insert the rest', async () => {
  const tags = db.collection('tags');
  await tags.createIndex({ name: 1 }, { unique: true });
  await tags.insertOne({ name: 'taken' });

  const ordered = await tags.insertMany([{ name: 'a' }, { name: 'taken' }, { name: 'b' }]).catch((e: unknown) => e);
  expect(ordered).toBeInstanceOf(MongoBulkWriteError);
  expect((ordered as MongoBulkWriteError).writeErrors).toHaveLength(1);
  expect(await tags.countDocuments({ name: { $in: ['a', 'b'] } })).toBe(1);

  const unordered = await tags
    .insertMany([{ name: 'c' }, { name: 'taken' }, { name: 'd' }, { name: 'a' }], { ordered: false })
    .catch((e: unknown) => e);
  const errors = [(unordered as MongoBulkWriteError).writeErrors].flat();
  expect(errors.map((e) => e.index)).toEqual([1, 3]);
  expect(errors.map((e) => e.code)).toEqual([11000, 11000]);
  expect(await tags.countDocuments({ name: { $in: ['c', 'd'] } })).toBe(2);
});

test('updates and upserts are checked against unique indexes, leaving the document unchanged', async () => {
  const accounts = db.collection('accounts');
  await accounts.createIndex({ email: 1 }, { unique: true });
  const { insertedId } = await accounts.insertOne({ email: 'one@example.com' });
  await accounts.insertOne({ email: 'two@example.com' });

  await expect(accounts.updateOne({ _id: insertedId }, { $set: { email: 'two@example.com' } })).rejects.toMatchObject({
    code: 11000,
  });
  expect(await accounts.findOne({ _id: insertedId })).toMatchObject({ email: 'one@example.com' });
  await expect(
    accounts.updateOne({ email: 'three@example.com', n: 1 }, { $set: { email: 'two@example.com' } }, { upsert: true }),
  ).rejects.toMatchObject({ code: 11000 });
  await expect(accounts.insertOne({ _id: insertedId, email: 'x@example.com' })).rejects.toMatchObject({
    code: 11000,
    keyPattern: { _id: 1 },
  });
});

test('creating a unique index over duplicates fails; the same index twice is a no-op', async () => {
  const dup = db.collection('dup');
  await dup.insertMany([{ k: 1 }, { k: 1 }]);
  await expect(dup.createIndex({ k: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
  await dup.createIndex({ other: 1 });
  await dup.createIndex({ other: 1 });
  expect((await dup.listIndexes().toArray()).map((index) => index.name)).toEqual(['_id_', 'other_1']);
  await dup.dropIndex('other_1');
  expect((await dup.listIndexes().toArray()).map((index) => index.name)).toEqual(['_id_']);
});

test('a TTL index with expireAfterSeconds 0 removes documents whose date has passed', async () => {
  const sessions = db.collection('ttl_sessions');
  await sessions.createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
  await sessions.insertMany([
    { _id: 'gone' as never, expires: new Date(Date.now() - 1000) },
    { _id: 'kept' as never, expires: new Date(Date.now() + 60_000) },
    { _id: 'no-date' as never, expires: 'not a date' },
  ]);
  expect(server.removeExpired()).toBe(1);
  expect((await sessions.find().toArray()).map((doc) => doc._id)).toEqual(['kept', 'no-date']);
});

test('findAndModify sorts, projects, removes and upserts', async () => {
  const queue = db.collection('queue');
  await queue.insertMany([
    { job: 'b', priority: 2, secret: 's' },
    { job: 'a', priority: 1, secret: 's' },
  ]);
  const first = await queue.findOneAndDelete({}, { sort: { priority: 1 }, projection: { _id: 0, job: 1 } });
  expect(first).toEqual({ job: 'a' });
  const updated = await queue.findOneAndUpdate({ job: 'b' }, { $inc: { priority: 5 } }, { returnDocument: 'after' });
  expect(updated).toMatchObject({ priority: 7 });
  const upserted = await queue.findOneAndUpdate(
    { job: 'c' },
    { $setOnInsert: { priority: 0 } },
    { upsert: true, returnDocument: 'after' },
  );
  expect(upserted).toMatchObject({ job: 'c', priority: 0 });
  expect(await queue.distinct('job')).toEqual(['b', 'c']);
});

test('lookups by _id and by a single-field index touch one document, not the collection', () => {
  const collection = new Collection('db', 'big');
  collection.createIndex({ name: 'email_1', key: { email: 1 }, unique: true });
  for (let n = 0; n < 10_000; n++) collection.insert({ _id: n, email: `user${n}@example.com`, group: n % 10 });
  expect([...collection.candidates({ _id: 4321 })]).toEqual([{ _id: 4321, email: 'user4321@example.com', group: 1 }]);
  expect([...collection.candidates({ email: 'user17@example.com' })]).toHaveLength(1);
  expect([...collection.candidates({ _id: { $in: [1, 2, 99_999] } })]).toHaveLength(2);
  // Without an index on the field every document is a candidate: the contrast that proves the above.
  expect([...collection.candidates({ group: 3 })]).toHaveLength(10_000);
});

describe('collMod to a unique index: prepareUnique, then unique', () => {
  const collMod = (index: Record<string, unknown>) => db.command({ collMod: 'convert', index });
  const serverError = async (work: Promise<unknown>): Promise<MongoServerError> => {
    const error = await work.catch((e: unknown) => e);
    if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
    return error;
  };

  it('refuses new duplicates once prepared, lists the old ones, and converts when they are gone', async () => {
    const items = db.collection<{ _id: number; x: number; y?: number }>('convert');
    await items.insertMany([
      { _id: 1, x: 1 },
      { _id: 2, x: 1 },
      { _id: 3, x: 3 },
    ]);
    await items.createIndex({ x: 1 });
    const notPrepared = await serverError(collMod({ keyPattern: { x: 1 }, unique: true }));
    expect([notPrepared.code, notPrepared.codeName]).toEqual([72, 'InvalidOptions']);

    expect(await collMod({ keyPattern: { x: 1 }, prepareUnique: true })).toMatchObject({
      prepareUnique_old: false,
      prepareUnique_new: true,
      ok: 1,
    });
    expect((await items.listIndexes().toArray())[1]).toMatchObject({ name: 'x_1', prepareUnique: true });
    // A new duplicate is refused, by insert or update; the old ones stay and may still change.
    expect((await serverError(items.insertOne({ _id: 4, x: 3 }))).code).toBe(11000);
    expect((await serverError(items.updateOne({ _id: 3 }, { $set: { x: 1 } }))).code).toBe(11000);
    await items.updateOne({ _id: 2 }, { $set: { y: 2 } });

    const violations = await serverError(collMod({ keyPattern: { x: 1 }, unique: true }));
    expect(violations.code).toBe(359);
    expect(violations.codeName).toBe('CannotConvertIndexToUnique');
    expect(violations.errorResponse.violations).toEqual([{ ids: [1, 2] }]);

    await items.updateOne({ _id: 2 }, { $set: { x: 2 } });
    expect(await collMod({ name: 'x_1', unique: true })).toMatchObject({ unique_new: true, ok: 1 });
    expect((await items.listIndexes().toArray())[1]).toMatchObject({ name: 'x_1', unique: true });
    // Already unique: nothing to do.
    expect(await collMod({ name: 'x_1', unique: true })).toEqual({ ok: 1 });
  });

  it('refuses what mongod refuses', async () => {
    await db.collection('convert').createIndex({ z: 1 });
    expect((await serverError(collMod({ name: 'z_1', keyPattern: { z: 1 }, prepareUnique: true }))).code).toBe(72);
    expect((await serverError(collMod({ prepareUnique: true }))).code).toBe(72);
    expect((await serverError(collMod({ name: 'z_1' }))).code).toBe(72);
    expect((await serverError(collMod({ name: 'z_1', unique: false }))).code).toBe(2);
    expect((await serverError(collMod({ name: 'nope', prepareUnique: true }))).code).toBe(27);
    expect((await serverError(collMod({ name: 'z_1', hidden: true }))).code).toBe(238);
  });
});
