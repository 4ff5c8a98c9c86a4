import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Decimal128,
  Double,
  Int32,
  Long,
  MongoClient,
  MongoServerError,
  type Collection,
  type Db,
  type Document,
} from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';
import { silentLogger } from '../src/logger';
import { openPersistence } from '../src/persistence';
import { connect, opMsg } from './raw-client';

// BSON numbers keep their types (int32, int64, double, Decimal128) through storage, updates and
// replies, as in MongoDB, through the official driver over the wire. The client does not promote,
// so each value shows the type the engine sent.

let server: EmbeddedMongo;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  server = await startEmbeddedMongo({ port: 0 });
  client = await MongoClient.connect(`${server.uri}/numbers`, { promoteLongs: false, promoteValues: false });
  db = client.db();
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

/** A value as `Type(value)`: `Int32(5)`, `Long(5)`, `Double(-0)`, `Decimal128(0.3)`; other values as JSON. */
function typed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(typed);
  if (value === null || typeof value !== 'object') return value;
  const type = (value as { _bsontype?: string })._bsontype;
  switch (type) {
    case 'Int32':
    case 'Double': {
      const number = (value as Int32 | Double).value;
      return `${type}(${Object.is(number, -0) ? '-0' : number})`;
    }
    case 'Long':
    case 'Decimal128':
      return `${type}(${(value as Long | Decimal128).toString()})`;
    case undefined:
      return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, typed(field)]));
    default:
      return String(value);
  }
}

const BIG = '9007199254740993'; // 2^53 + 1: not a double

/** One of each numeric type, nested too. */
function sample(id: number): Document {
  return {
    _id: id,
    int: new Int32(5),
    long: Long.fromNumber(5),
    bigLong: Long.fromString(BIG),
    integralDouble: new Double(5),
    negativeZero: new Double(-0),
    fraction: new Double(2.5),
    large: new Double(1e20),
    decimal: Decimal128.fromString('1.10'),
    nested: { long: Long.fromNumber(7), list: [Long.fromNumber(1), new Double(2), new Int32(3)] },
  };
}

const SAMPLE_TYPES = {
  int: 'Int32(5)',
  long: 'Long(5)',
  bigLong: `Long(${BIG})`,
  integralDouble: 'Double(5)',
  negativeZero: 'Double(-0)',
  fraction: 'Double(2.5)',
  large: 'Double(100000000000000000000)',
  decimal: 'Decimal128(1.10)',
  nested: { long: 'Long(7)', list: ['Long(1)', 'Double(2)', 'Int32(3)'] },
};

/** The error a promise rejects with, its code as a number (this client leaves the reply's int32s as Int32). */
async function failure(promise: Promise<unknown>): Promise<{ code: number; codeName?: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MongoServerError);
  const { code, codeName, message } = error as MongoServerError;
  return { code: Number(code), codeName, message };
}

/** The driver's default collection type wants ObjectId ids; these have numbers of every type. */
type Doc = { _id?: number | Int32 | Long | Double; [field: string]: unknown };

/** The driver types $inc and $mul for number fields only; these fields hold other BSON types too. */
function asUpdate(update: Document): Document {
  return update;
}

async function fresh(name: string): Promise<Collection<Doc>> {
  const collection = db.collection<Doc>(name);
  await collection.drop().catch(() => undefined);
  return collection;
}

describe('round trips', () => {
  test('insertOne, insertMany and find keep int32, int64, double and Decimal128', async () => {
    const numbers = await fresh('roundTrip');
    await numbers.insertOne(sample(1));
    await numbers.insertMany([sample(2), sample(3)]);
    const found = await numbers.find({}).sort({ _id: 1 }).toArray();
    expect(found.map(typed)).toEqual([1, 2, 3].map((id) => ({ _id: `Int32(${id})`, ...SAMPLE_TYPES })));
  });

  test('an int64 or a double _id keeps its type', async () => {
    const numbers = await fresh('ids');
    await numbers.insertMany([{ _id: Long.fromString(BIG) }, { _id: new Double(7) }]);
    expect((await numbers.find({}).toArray()).map(typed)).toEqual([{ _id: `Long(${BIG})` }, { _id: 'Double(7)' }]);
  });

  test('a projection keeps the types of the fields it passes', async () => {
    const numbers = await fresh('projection');
    await numbers.insertOne(sample(1));
    const found = await numbers.findOne({ _id: 1 }, { projection: { long: 1, integralDouble: 1, 'nested.long': 1 } });
    expect(typed(found)).toEqual({
      _id: 'Int32(1)',
      long: 'Long(5)',
      integralDouble: 'Double(5)',
      nested: { long: 'Long(7)' },
    });
    const sliced = await numbers.findOne({ _id: 1 }, { projection: { _id: 0, long: 1, 'nested.list': { $slice: 2 } } });
    expect(typed(sliced)).toEqual({ long: 'Long(5)', nested: { list: ['Long(1)', 'Double(2)'] } });
  });

  test('getMore hands out the rest of a result with its types', async () => {
    const numbers = await fresh('getMore');
    await numbers.insertMany(
      Array.from({ length: 10 }, (_, i) => ({ _id: i, long: Long.fromNumber(i), double: new Double(i) })),
    );
    const found = await numbers.find({}, { batchSize: 3 }).sort({ _id: 1 }).toArray();
    expect(found.map(typed)).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ _id: `Int32(${i})`, long: `Long(${i})`, double: `Double(${i})` })),
    );
  });

  test('findOneAndUpdate and findOneAndReplace return and store exact types', async () => {
    const numbers = await fresh('findAndModify');
    await numbers.insertOne(sample(1));
    const before = await numbers.findOneAndUpdate({ _id: 1 }, { $set: { added: Long.fromNumber(9) } });
    expect(typed(before)).toEqual({ _id: 'Int32(1)', ...SAMPLE_TYPES });
    const after = await numbers.findOneAndUpdate(
      { _id: 1 },
      { $set: { double: new Double(3) } },
      { returnDocument: 'after', projection: { long: 1, added: 1, double: 1 } },
    );
    expect(typed(after)).toEqual({ _id: 'Int32(1)', long: 'Long(5)', added: 'Long(9)', double: 'Double(3)' });
    const replaced = await numbers.findOneAndReplace(
      { long: 5 },
      { long: Long.fromNumber(6), double: new Double(1), decimal: Decimal128.fromString('2.50') },
      { returnDocument: 'after' },
    );
    expect(typed(replaced)).toEqual({
      _id: 'Int32(1)',
      long: 'Long(6)',
      double: 'Double(1)',
      decimal: 'Decimal128(2.50)',
    });
    expect(typed(await numbers.findOne({ _id: 1 }))).toEqual(typed(replaced));
  });

  test('an aggregation passes stored numbers through with their types', async () => {
    const numbers = await fresh('aggregate');
    await numbers.insertMany([sample(2), sample(1)]);
    const results = await numbers
      .aggregate([
        { $match: { long: { $gte: 5 } } },
        { $sort: { _id: 1 } },
        { $project: { long: 1, integralDouble: 1, nested: 1, decimal: 1 } },
      ])
      .toArray();
    const { long, integralDouble, nested, decimal } = SAMPLE_TYPES;
    expect(results.map(typed)).toEqual(
      [1, 2].map((id) => ({ _id: `Int32(${id})`, long, integralDouble, nested, decimal })),
    );
  });

  test('upserts and replacements keep the types of their values', async () => {
    const numbers = await fresh('upsert');
    await numbers.updateOne(
      { key: Long.fromNumber(5) },
      { $set: { double: new Double(2) }, $setOnInsert: { long: Long.fromNumber(1) } },
      { upsert: true },
    );
    await numbers.replaceOne({ key: 5 }, { key: Long.fromNumber(5), replaced: new Double(4) });
    const found = await numbers.findOne({}, { projection: { _id: 0 } });
    expect(typed(found)).toEqual({ key: 'Long(5)', replaced: 'Double(4)' });
  });
});

test('document sequences stay exact, command fields reach the handlers as numbers', async () => {
  const numbers = await fresh('sequences');
  const raw = await connect(server);
  try {
    const [, inserted] = await raw.send(
      opMsg(
        1,
        { insert: 'sequences', $db: 'numbers' },
        {
          id: 'documents',
          docs: [
            { _id: 1, l: Long.fromNumber(5), d: new Double(5) },
            { _id: 2, l: Long.fromNumber(6) },
          ],
        },
      ),
    );
    expect(inserted).toMatchObject({ n: 2, ok: 1 });
    const [, updated] = await raw.send(
      opMsg(
        2,
        { update: 'sequences', ordered: true, $db: 'numbers' },
        {
          id: 'updates',
          docs: [{ q: { l: Long.fromNumber(6) }, u: { $inc: { l: Long.fromNumber(1) }, $set: { d: new Double(1) } } }],
        },
      ),
    );
    expect(updated).toMatchObject({ n: 1, nModified: 1, ok: 1 });
    // limit, batchSize and getMore's cursor id all arrive as int64s.
    const [, first] = await raw.send(
      opMsg(3, {
        find: 'sequences',
        filter: {},
        sort: { _id: 1 },
        limit: Long.fromNumber(5),
        batchSize: Long.fromNumber(1),
        $db: 'numbers',
      }),
    );
    expect(first.cursor.firstBatch).toHaveLength(1);
    const [, more] = await raw.send(
      opMsg(4, {
        getMore: Long.fromNumber(first.cursor.id as number),
        collection: 'sequences',
        batchSize: Long.fromNumber(5),
        $db: 'numbers',
      }),
    );
    expect(more).toMatchObject({ ok: 1, cursor: { id: 0, nextBatch: [{ _id: 2 }] } });
  } finally {
    raw.socket.destroy();
  }
  expect((await numbers.find({}).sort({ _id: 1 }).toArray()).map(typed)).toEqual([
    { _id: 'Int32(1)', l: 'Long(5)', d: 'Double(5)' },
    { _id: 'Int32(2)', l: 'Long(7)', d: 'Double(1)' },
  ]);
});

describe('update operators follow MongoDB type rules', () => {
  async function updated(start: Document, update: Document): Promise<unknown> {
    const numbers = await fresh('operators');
    await numbers.insertOne({ _id: 1, ...start });
    await numbers.updateOne({ _id: 1 }, update);
    const { _id, ...rest } = (await numbers.findOne({ _id: 1 }))!;
    return typed(rest);
  }

  test.each([
    [
      'int32 overflow becomes int64',
      { v: new Int32(2147483647) },
      asUpdate({ $inc: { v: 1 } }),
      { v: 'Long(2147483648)' },
    ],
    ['int64 + int32', { v: Long.fromNumber(5) }, asUpdate({ $inc: { v: 1 } }), { v: 'Long(6)' }],
    ['int32 + int64', { v: 5 }, { $inc: { v: Long.fromNumber(1) } }, { v: 'Long(6)' }],
    ['double 5.0 + int32', { v: new Double(5) }, asUpdate({ $inc: { v: 1 } }), { v: 'Double(6)' }],
    ['int32 + double 1.0', { v: 5 }, { $inc: { v: new Double(1) } }, { v: 'Double(6)' }],
    ['int64 past 2^53 + 1', { v: Long.fromString(BIG) }, asUpdate({ $inc: { v: 1 } }), { v: 'Long(9007199254740994)' }],
    [
      'decimal 0.1 + 0.2 is exactly 0.3',
      { v: Decimal128.fromString('0.1') },
      { $inc: { v: Decimal128.fromString('0.2') } },
      { v: 'Decimal128(0.3)' },
    ],
    ['int32 + decimal', { v: 1 }, { $inc: { v: Decimal128.fromString('0.5') } }, { v: 'Decimal128(1.5)' }],
    [
      '$inc on missing fields stores each operand with its type',
      {},
      { $inc: { l: Long.fromNumber(3), d: new Double(2), m: Decimal128.fromString('1.0') } },
      { l: 'Long(3)', d: 'Double(2)', m: 'Decimal128(1.0)' },
    ],
    ['$mul of a decimal', { v: Decimal128.fromString('5') }, asUpdate({ $mul: { v: 2 } }), { v: 'Decimal128(10)' }],
    ['$mul int32 overflow becomes int64', { v: 65536 }, { $mul: { v: 65536 } }, { v: 'Long(4294967296)' }],
    ['$mul of an int64', { v: Long.fromNumber(5) }, asUpdate({ $mul: { v: 2 } }), { v: 'Long(10)' }],
    ['$mul of a double to an integer', { v: 2.5 }, asUpdate({ $mul: { v: 2 } }), { v: 'Double(5)' }],
    [
      '$mul on missing fields stores a zero of the operand type',
      {},
      { $mul: { i: 3, l: Long.fromNumber(2), d: new Double(2.5), m: Decimal128.fromString('2.5') } },
      { i: 'Int32(0)', l: 'Long(0)', d: 'Double(0)', m: 'Decimal128(0.0)' },
    ],
    [
      '$min takes the smaller value with its type',
      { v: Long.fromNumber(5) },
      { $min: { v: new Double(3) } },
      { v: 'Double(3)' },
    ],
    ['$max keeps a larger current value', { v: Long.fromNumber(5) }, { $max: { v: new Double(3) } }, { v: 'Long(5)' }],
    [
      '$max compares an int32 and a decimal by value',
      { v: 5, w: 5 },
      { $max: { v: Decimal128.fromString('7.5'), w: Decimal128.fromString('4.5') } },
      { v: 'Decimal128(7.5)', w: 'Int32(5)' },
    ],
    ['$min of an equal value keeps the current type', { v: Long.fromNumber(5) }, { $min: { v: 5 } }, { v: 'Long(5)' }],
    ['$set of the same value with another type', { v: 5 }, { $set: { v: Long.fromNumber(5) } }, { v: 'Long(5)' }],
    ['$rename keeps the type', { v: Long.fromNumber(5) }, { $rename: { v: 'w' } }, { w: 'Long(5)' }],
    [
      '$pull keeps the types of the other elements',
      { a: [Long.fromNumber(1), Long.fromNumber(2), new Double(3)] },
      { $pull: { a: 2 } },
      { a: ['Long(1)', 'Double(3)'] },
    ],
    [
      '$push with $sort keeps the types of the elements it moves',
      { a: [Long.fromNumber(3), new Double(1)] },
      { $push: { a: { $each: [2], $sort: 1 } } },
      { a: ['Double(1)', 'Int32(2)', 'Long(3)'] },
    ],
  ])('%s', async (_name, start, update, expected) => {
    expect(await updated(start, update)).toEqual(expected);
  });

  test('arrayFilters set exact values and keep the others', async () => {
    const numbers = await fresh('arrayFilters');
    await numbers.insertOne({
      _id: 1,
      a: [
        { n: 1, l: Long.fromNumber(1) },
        { n: 2, l: Long.fromNumber(2) },
      ],
    });
    await numbers.updateOne(
      { _id: 1 },
      { $set: { 'a.$[e].n': Long.fromNumber(5) } },
      { arrayFilters: [{ 'e.l': { $gte: 2 } }] },
    );
    expect(typed(await numbers.findOne({ _id: 1 }))).toEqual({
      _id: 'Int32(1)',
      a: [
        { n: 'Int32(1)', l: 'Long(1)' },
        { n: 'Long(5)', l: 'Long(2)' },
      ],
    });
  });

  test('$inc by 0 of the same type changes nothing; of another type converts', async () => {
    const numbers = await fresh('noop');
    await numbers.insertOne({ _id: 1, v: Long.fromNumber(5) });
    expect(
      Number((await numbers.updateOne({ _id: 1 }, asUpdate({ $inc: { v: Long.fromNumber(0) } }))).modifiedCount),
    ).toBe(0);
    expect(Number((await numbers.updateOne({ _id: 1 }, asUpdate({ $inc: { v: new Double(0) } }))).modifiedCount)).toBe(
      1,
    );
    expect(typed(await numbers.findOne({ _id: 1 }))).toEqual({ _id: 'Int32(1)', v: 'Double(5)' });
  });

  test('int64 overflow is an error and changes nothing', async () => {
    const numbers = await fresh('overflow');
    await numbers.insertOne({ _id: 1, v: Long.MAX_VALUE });
    expect(await failure(numbers.updateOne({ _id: 1 }, asUpdate({ $inc: { v: 1 } })))).toMatchObject({
      code: 2,
      message:
        'Failed to apply $inc operations to current value ((NumberLong)9223372036854775807) for document {_id: 1}',
    });
    expect(await failure(numbers.updateOne({ _id: 1 }, asUpdate({ $mul: { v: 2 } })))).toMatchObject({ code: 2 });
    expect(typed(await numbers.findOne({ _id: 1 }))).toEqual({ _id: 'Int32(1)', v: 'Long(9223372036854775807)' });
  });

  test('arithmetic on or with a non-number is a TypeMismatch', async () => {
    const numbers = await fresh('mismatch');
    await numbers.insertOne({ _id: 1, s: 'text' });
    expect(await failure(numbers.updateOne({ _id: 1 }, asUpdate({ $inc: { s: 1 } })))).toMatchObject({
      code: 14,
      message:
        "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 's' of non-numeric type string",
    });
    expect(await failure(numbers.updateOne({ _id: 1 }, asUpdate({ $mul: { n: 'x' } })))).toMatchObject({
      code: 14,
      message: 'Cannot multiply with non-numeric argument: {n: "x"}',
    });
  });

  test('arithmetic mingo would do on an int64 through arrayFilters is refused, not stored wrong', async () => {
    const numbers = await fresh('refused');
    await numbers.insertOne({ _id: 1, a: [{ n: Long.fromNumber(1) }, { n: Long.fromNumber(2) }] });
    expect(
      await failure(
        numbers.updateOne({ _id: 1 }, asUpdate({ $inc: { 'a.$[e].n': 1 } }), {
          arrayFilters: [{ 'e.n': { $gte: 2 } }],
        }),
      ),
    ).toMatchObject({ code: 238, codeName: 'NotImplemented' });
    expect(typed(await numbers.findOne({ _id: 1 }))).toEqual({
      _id: 'Int32(1)',
      a: [{ n: 'Long(1)' }, { n: 'Long(2)' }],
    });
  });
});

describe('numbers of different types compare by value', () => {
  test('queries match across types', async () => {
    const numbers = await fresh('matching');
    await numbers.insertMany([
      { _id: 1, v: Long.fromNumber(5) },
      { _id: 2, v: new Double(5) },
      { _id: 3, v: new Int32(5) },
      { _id: 5, v: 6 },
      { _id: 6, v: Long.fromString(BIG) },
      { _id: 7, v: Long.fromString('9007199254740992') },
    ]);
    const ids = async (filter: Document) =>
      (await numbers.find(filter).sort({ _id: 1 }).toArray()).map((doc) => (doc._id as Int32).value);
    expect(await ids({ v: 5 })).toEqual([1, 2, 3]);
    expect(await ids({ v: Long.fromNumber(5) })).toEqual([1, 2, 3]);
    expect(await ids({ v: { $gte: new Double(5), $lt: 6 } })).toEqual([1, 2, 3]);
    expect(await ids({ v: { $in: [Long.fromNumber(6)] } })).toEqual([5]);
    // Exactly: 2^53 + 1 is not 2^53 (which a double cannot tell apart).
    expect(await ids({ v: Long.fromString(BIG) })).toEqual([6]);
    expect(await ids({ v: 9007199254740992 })).toEqual([7]);
  });

  test('sorting mixes the types by value', async () => {
    const numbers = await fresh('sorting');
    await numbers.insertMany([
      { _id: 1, v: Long.fromNumber(3) },
      { _id: 2, v: new Double(1.5) },
      { _id: 3, v: new Int32(2) },
      { _id: 4, v: Long.fromString(BIG) },
      { _id: 5, v: new Double(7) },
      { _id: 6, v: Decimal128.fromString('4.5') },
    ]);
    const sorted = await numbers
      .find({}, { projection: { _id: 0 } })
      .sort({ v: 1 })
      .toArray();
    expect(sorted.map((doc) => typed(doc.v))).toEqual([
      'Double(1.5)',
      'Int32(2)',
      'Long(3)',
      'Decimal128(4.5)',
      'Double(7)',
      `Long(${BIG})`,
    ]);
  });

  test('a unique index treats 5, Long(5) and 5.0 as one key', async () => {
    const numbers = await fresh('unique');
    await numbers.createIndex({ k: 1 }, { unique: true });
    await numbers.insertOne({ k: 5 });
    expect(await failure(numbers.insertOne({ k: Long.fromNumber(5) }))).toMatchObject({ code: 11000 });
    expect(await failure(numbers.insertOne({ k: new Double(5) }))).toMatchObject({ code: 11000 });
    // Two int64s a double cannot tell apart are two keys.
    await numbers.insertMany([{ k: Long.fromString(BIG) }, { k: Long.fromString('9007199254740992') }]);
    expect(Number(await numbers.countDocuments())).toBe(3);
  });
});

test('a restarted engine with a data directory keeps the types', async () => {
  const dbPath = fs.mkdtempSync(path.join(os.tmpdir(), 'numbers-test-'));
  /** Runs `work` against an engine on dbPath, stopping it whatever happens. */
  const withEngine = async (work: (numbers: Collection<Doc>) => Promise<void>): Promise<void> => {
    const engine = await startEmbeddedMongo({ port: 0, dbPath });
    const connection = await MongoClient.connect(`${engine.uri}/kept`, { promoteLongs: false, promoteValues: false });
    try {
      await work(connection.db().collection<Doc>('numbers'));
    } finally {
      await connection.close();
      await engine.stop();
    }
  };
  const expected = {
    _id: 'Int32(1)',
    ...SAMPLE_TYPES,
    int: 'Long(2147483652)',
    overflow: 'Int32(1)',
    double: 'Double(8)',
  };
  try {
    await withEngine(async (numbers) => {
      await numbers.insertOne(sample(1));
      await numbers.updateOne(
        { _id: 1 },
        asUpdate({ $inc: { overflow: 1, int: 2147483647 }, $set: { double: new Double(8) } }),
      );
      expect(typed(await numbers.findOne({ _id: 1 }))).toEqual(expected);
    });
    await withEngine(async (numbers) => {
      expect(typed(await numbers.findOne({ _id: 1 }))).toEqual(expected);
      expect(Number(await numbers.countDocuments({ long: 5, integralDouble: 5 }))).toBe(1);
    });
  } finally {
    fs.rmSync(dbPath, { recursive: true, force: true });
  }
});

test('a snapshot keeps the types', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'numbers-snapshot-'));
  const doc = {
    _id: Long.fromString(BIG),
    int: 5,
    long: Long.fromNumber(5),
    integralDouble: new Double(5),
    fraction: 2.5,
    decimal: Decimal128.fromString('1.10'),
    nested: [{ double: new Double(-3) }],
  };
  try {
    let persistence = openPersistence(dir, silentLogger);
    persistence.compact(new Map([['db', new Map([['coll', { docs: [doc], indexes: [] }]])]]));
    persistence.close();
    persistence = openPersistence(dir, silentLogger);
    const [loaded] = persistence.loaded.get('db')!.get('coll')!.docs;
    persistence.close();
    expect(typed(loaded)).toEqual({
      _id: `Long(${BIG})`,
      int: 5,
      long: 'Long(5)',
      integralDouble: 'Double(5)',
      fraction: 2.5,
      decimal: 'Decimal128(1.10)',
      nested: [{ double: 'Double(-3)' }],
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
