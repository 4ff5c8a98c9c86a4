import { MongoClient, MongoServerError, ObjectId, type Db, type Document } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';

/** These tests use string and number ids as well as ObjectIds, as applications do. */
type Doc = { _id?: string | number | ObjectId; [field: string]: unknown };

// Stages that read or write other collections, let variables, pipeline updates, and the options the
// engine refuses rather than ignores: through the official driver, over the wire.

let server: EmbeddedMongo;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  server = await startEmbeddedMongo({ port: 0 });
  client = await MongoClient.connect(`${server.uri}/pipelines`);
  db = client.db();
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

async function refusal(work: () => Promise<unknown>): Promise<MongoServerError> {
  const error: unknown = await work().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
  return error;
}

describe('$lookup, $unionWith, $out, $merge', () => {
  beforeAll(async () => {
    const userId = new ObjectId();
    await db
      .collection<Doc>('users')
      .insertMany([{ _id: userId, email: 'ada@example.com' }, { email: 'bob@example.com' }]);
    await db.collection<Doc>('sessions').insertOne({ _id: 'sid-1', userId });
  });

  it('joins a session with its user by localField/foreignField', async () => {
    const [session] = await db
      .collection<Doc>('sessions')
      .aggregate([{ $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: 'user' } }])
      .toArray();
    expect(session.user).toHaveLength(1);
    expect(session.user[0].email).toBe('ada@example.com');
  });

  it('joins with let and a pipeline', async () => {
    const [session] = await db
      .collection<Doc>('sessions')
      .aggregate([
        {
          $lookup: {
            from: 'users',
            let: { id: '$userId' },
            pipeline: [{ $match: { $expr: { $eq: ['$_id', '$$id'] } } }, { $project: { _id: 0, email: 1 } }],
            as: 'user',
          },
        },
      ])
      .toArray();
    expect(session.user).toEqual([{ email: 'ada@example.com' }]);
  });

  it('adds another collection with $unionWith', async () => {
    const docs = await db
      .collection<Doc>('sessions')
      .aggregate([
        { $project: { _id: 1 } },
        { $unionWith: { coll: 'users', pipeline: [{ $project: { _id: 0, email: 1 } }] } },
      ])
      .toArray();
    expect(docs).toHaveLength(3);
  });

  it('$out replaces the target, which a find then reads', async () => {
    await db.collection<Doc>('emails').insertOne({ stale: true });
    await db
      .collection<Doc>('users')
      .aggregate([{ $project: { email: 1 } }, { $out: 'emails' }])
      .toArray();
    const emails = await db
      .collection<Doc>('emails')
      .find({}, { projection: { _id: 0 } })
      .toArray();
    expect(emails).toEqual([{ email: 'ada@example.com' }, { email: 'bob@example.com' }]);
  });

  it('$out over a unique index it would break leaves the target as it was', async () => {
    const target = db.collection<Doc>('unique-out');
    await target.createIndex({ kind: 1 }, { unique: true });
    await target.insertOne({ kind: 'kept' });
    const error = await refusal(() =>
      db
        .collection<Doc>('users')
        .aggregate([{ $project: { kind: 'same' } }, { $out: 'unique-out' }])
        .toArray(),
    );
    expect(error.code).toBe(11000);
    expect(await target.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ kind: 'kept' }]);
  });

  it('$merge merges into matching documents and inserts the others', async () => {
    const totals = db.collection<Doc>('totals');
    await totals.insertOne({ _id: 'a', n: 1, note: 'kept' });
    await db.collection<Doc>('totals-source').insertMany([
      { _id: 'a', n: 5 },
      { _id: 'b', n: 2 },
    ]);
    await db
      .collection<Doc>('totals-source')
      .aggregate([{ $merge: { into: 'totals' } }])
      .toArray();
    expect(await totals.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', n: 5, note: 'kept' },
      { _id: 'b', n: 2 },
    ]);
  });
});

describe('let variables and pipeline updates', () => {
  beforeAll(async () => {
    await db.collection<Doc>('let').insertMany([
      { _id: 1, name: 'a' },
      { _id: 2, name: 'b' },
    ]);
  });

  it('find, update and delete see $$ variables', async () => {
    const let_ = { wanted: 'b' };
    const found = await db
      .collection<Doc>('let')
      .find({ $expr: { $eq: ['$name', '$$wanted'] } }, { let: let_ })
      .toArray();
    expect(found.map((doc) => doc._id)).toEqual([2]);
    await db
      .collection<Doc>('let')
      .updateOne({ $expr: { $eq: ['$name', '$$wanted'] } }, [{ $set: { seen: '$$wanted' } }], { let: let_ });
    expect(await db.collection<Doc>('let').findOne({ _id: 2 })).toEqual({ _id: 2, name: 'b', seen: 'b' });
    const deleted = await db.collection<Doc>('let').deleteOne({ $expr: { $eq: ['$_id', '$$id'] } }, { let: { id: 1 } });
    expect(deleted.deletedCount).toBe(1);
  });

  it('a pipeline update whose output has no _id keeps the document', async () => {
    await db.collection<Doc>('replace-with').insertOne({ _id: 7, a: 1 });
    const result = await db.collection<Doc>('replace-with').updateOne({ _id: 7 }, [{ $replaceWith: { b: '$a' } }]);
    expect(result.modifiedCount).toBe(1);
    expect(await db.collection<Doc>('replace-with').findOne({ _id: 7 })).toEqual({ _id: 7, b: 1 });
  });
});

describe('what the engine refuses instead of ignoring', () => {
  const collation = { locale: 'en', strength: 2 };

  it('refuses a collation on reads, writes and indexes, but takes the simple one', async () => {
    const items = db.collection<Doc>('collation');
    await items.insertOne({ _id: 1, name: 'PING' });
    for (const attempt of [
      () => items.find({ name: 'ping' }, { collation }).toArray(),
      () => items.aggregate([], { collation }).toArray(),
      () => items.distinct('name', {}, { collation }),
      () => items.updateOne({ name: 'ping' }, { $set: { x: 1 } }, { collation }),
      () => items.deleteMany({ name: 'ping' }, { collation }),
      () => items.findOneAndUpdate({ name: 'ping' }, { $set: { x: 1 } }, { collation }),
      () => items.createIndex({ name: 1 }, { collation }),
    ]) {
      const error = await refusal(attempt);
      expect(error.code).toBe(238);
      expect(error.message).toMatch(/collation is not supported by the embedded engine/);
    }
    expect(await items.countDocuments({ name: 'PING' })).toBe(1);
    expect(await items.find({ name: 'PING' }, { collation: { locale: 'simple' } }).toArray()).toHaveLength(1);
  });

  it('refuses sort on an update or replace, as MongoDB 7.0 does', async () => {
    const items = db.collection<Doc>('sorted-update');
    await items.insertMany([{ _id: 1 }, { _id: 2 }]);
    const error = await refusal(() => items.updateOne({}, { $set: { x: 1 } }, { sort: { _id: -1 } }));
    expect(error.code).toBe(40415);
    await refusal(() => items.replaceOne({}, { x: 1 }, { sort: { _id: -1 } }));
    expect(await items.countDocuments({ x: { $exists: true } })).toBe(0);
  });

  it('refuses $-prefixed field names in _id', async () => {
    const dollarIds = db.collection<{ _id: Record<string, number> }>('dollar-id');
    const error = await refusal(() => dollarIds.insertOne({ _id: { $a: 1 } }));
    expect(error.code).toBe(53);
    expect(await dollarIds.countDocuments()).toBe(0);
  });

  it('refuses views, time series and clustered collections', async () => {
    for (const options of [
      { viewOn: 'users', pipeline: [] },
      { timeseries: { timeField: 'at' } },
      { clusteredIndex: { key: { _id: 1 }, unique: true } },
    ]) {
      const error = await refusal(() => db.createCollection(`refused-${Object.keys(options)[0]}`, options));
      expect(error.code).toBe(238);
      expect(error.message).toContain(Object.keys(options)[0]);
    }
    const names = (await db.listCollections().toArray()).map((info) => info.name);
    expect(names.filter((name) => name.startsWith('refused-'))).toEqual([]);
  });
});

describe('conversion to ObjectId', () => {
  test('$toObjectId and $convert to objectId answer as MongoDB does, onError and onNull included', async () => {
    const hex = new ObjectId().toHexString();
    const items = db.collection<Doc>('conversions');
    await items.insertMany([
      { _id: 1, value: hex },
      { _id: 2, value: 'not an id' },
      { _id: 3, value: null },
    ]);
    const [converted] = await items
      .aggregate([
        { $match: { _id: 1 } },
        {
          $project: {
            direct: { $toObjectId: '$value' },
            converted: { $convert: { input: '$value', to: 'objectId' } },
            byNumber: { $convert: { input: '$value', to: 7 } },
          },
        },
      ])
      .toArray();
    expect(converted.direct).toEqual(new ObjectId(hex));
    expect(converted.converted).toEqual(new ObjectId(hex));
    expect(converted.byNumber).toEqual(new ObjectId(hex));

    const fallbacks = await items
      .aggregate([
        { $match: { _id: { $in: [2, 3] } } },
        { $sort: { _id: 1 } },
        {
          $project: {
            value: { $convert: { input: '$value', to: 'objectId', onError: 'bad', onNull: 'none' } },
          },
        },
      ])
      .toArray();
    expect(fallbacks.map((doc) => doc.value)).toEqual(['bad', 'none']);
    // Without onError, a string that is no ObjectId fails the command, as on MongoDB.
    await refusal(() =>
      items.aggregate([{ $match: { _id: 2 } }, { $project: { value: { $toObjectId: '$value' } } }]).toArray(),
    );
    // The other targets are mingo's own, unchanged.
    const [text] = await items
      .aggregate([{ $match: { _id: 1 } }, { $project: { n: { $convert: { input: '42', to: 'int' } } } }])
      .toArray();
    expect(text.n).toBe(42);
  });
});

describe('$lookup by an indexed field, without mingo', () => {
  beforeAll(async () => {
    await db.collection<Doc>('owners').insertMany([
      { _id: 1, code: 'a', tags: ['x', 'y'] },
      { _id: 2, code: 'b', tags: ['y'] },
      { _id: 3, code: 'a', tags: [] },
    ]);
    await db.collection('owners').createIndex({ code: 1 });
    await db.collection<Doc>('pets').insertMany([
      { _id: 10, owner: 1, ownerCode: 'a', wants: ['x', 'y'] },
      { _id: 11, owner: 9, ownerCode: 'c' },
      { _id: 12, ownerCode: 'b', wants: 'y' },
    ]);
  });

  /** The same join, once as the engine runs it and once forced through mingo by a stage it leaves to mingo. */
  async function bothWays(lookup: Document): Promise<[Document[], Document[]]> {
    const pets = db.collection<Doc>('pets');
    const direct = await pets.aggregate([{ $match: {} }, { $lookup: lookup }]).toArray();
    const throughMingo = await pets.aggregate([{ $match: {} }, { $lookup: lookup }, { $addFields: {} }]).toArray();
    return [direct, throughMingo];
  }

  test.each([
    ['_id', { from: 'owners', localField: 'owner', foreignField: '_id', as: 'found' }],
    ['an indexed field', { from: 'owners', localField: 'ownerCode', foreignField: 'code', as: 'found' }],
    ['an array of local values', { from: 'owners', localField: 'wants', foreignField: 'tags', as: 'found' }],
    ['a missing collection', { from: 'nobody', localField: 'owner', foreignField: '_id', as: 'found' }],
  ])('by %s gives what the general $lookup gives', async (_name, lookup) => {
    const [direct, throughMingo] = await bothWays(lookup);
    const sorted = (docs: Document[]) =>
      docs.map((doc) => ({ ...doc, found: [...(doc.found as Document[])].sort((a, b) => a._id - b._id) }));
    expect(sorted(direct)).toEqual(sorted(throughMingo));
    expect(direct.some((doc) => (doc.found as Document[]).length > 0) || lookup.from === 'nobody').toBe(true);
  });
});
