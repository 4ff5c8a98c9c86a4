import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoBulkWriteError, MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';
import type { Logger } from '../src/logger';

// Collection validators (validator, validationLevel, validationAction, bypassDocumentValidation)
// through the official driver, and the errInfo a refused write carries.

type Doc = { _id?: number; [field: string]: unknown };

async function failure(work: Promise<unknown>): Promise<MongoServerError> {
  const error: unknown = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
  return error;
}

const warnings: Array<{ obj: object; msg?: string }> = [];
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj, msg) => void warnings.push({ obj, msg }),
  error: () => undefined,
};

let server: EmbeddedMongo;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  server = await startEmbeddedMongo({ port: 0, logger });
  client = await MongoClient.connect(server.uri);
  db = client.db('validation');
});

afterEach(async () => {
  await db.dropDatabase();
  warnings.length = 0;
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

describe('a validator', () => {
  it('lets valid documents in and refuses the others with DocumentValidationFailure and errInfo', async () => {
    const people = await db.createCollection<Doc>('people', { validator: { name: { $type: 'string' } } });
    await people.insertOne({ _id: 1, name: 'Ada' });
    const error = await failure(people.insertOne({ _id: 2, name: 42 }));
    expect(error.code).toBe(121);
    expect(error.message).toBe('Document failed validation');
    expect(error.errInfo).toEqual({
      failingDocumentId: 2,
      details: {
        operatorName: '$type',
        specifiedAs: { name: { $type: 'string' } },
        reason: 'type did not match',
        consideredValue: 42,
        consideredType: 'int',
      },
    });
    expect(await people.countDocuments()).toBe(1);
  });

  it('explains each failing clause, and a missing field', async () => {
    const items = await db.createCollection<Doc>('items', {
      validator: { sku: { $exists: true }, qty: { $gte: 0 }, $or: [{ kind: 'a' }, { kind: { $in: ['b', 'c'] } }] },
    });
    const error = await failure(items.insertOne({ _id: 1, qty: -1, kind: 'z' }));
    expect(error.errInfo).toEqual({
      failingDocumentId: 1,
      details: {
        operatorName: '$and',
        clausesNotSatisfied: [
          {
            index: 0,
            details: {
              operatorName: '$exists',
              specifiedAs: { sku: { $exists: true } },
              reason: 'path does not exist',
            },
          },
          {
            index: 1,
            details: {
              operatorName: '$gte',
              specifiedAs: { qty: { $gte: 0 } },
              reason: 'comparison failed',
              consideredValue: -1,
            },
          },
          {
            index: 2,
            details: {
              operatorName: '$or',
              clausesNotSatisfied: [
                {
                  index: 0,
                  details: {
                    operatorName: '$eq',
                    specifiedAs: { kind: 'a' },
                    reason: 'comparison failed',
                    consideredValue: 'z',
                  },
                },
                {
                  index: 1,
                  details: {
                    operatorName: '$in',
                    specifiedAs: { kind: { $in: ['b', 'c'] } },
                    reason: 'no matching value found in array',
                    consideredValue: 'z',
                  },
                },
              ],
            },
          },
        ],
      },
    });
    const missing = await failure(items.insertOne({ _id: 2, sku: 'x', kind: 'a' }));
    expect(missing.errInfo?.details).toEqual({
      operatorName: '$and',
      clausesNotSatisfied: [
        { index: 1, details: { operatorName: '$gte', specifiedAs: { qty: { $gte: 0 } }, reason: 'field was missing' } },
      ],
    });
  });

  it('reports $expr with its result', async () => {
    const ranges = await db.createCollection<Doc>('ranges', { validator: { $expr: { $lt: ['$low', '$high'] } } });
    const error = await failure(ranges.insertOne({ _id: 1, low: 5, high: 2 }));
    expect(error.errInfo?.details).toEqual({
      operatorName: '$expr',
      specifiedAs: { $expr: { $lt: ['$low', '$high'] } },
      reason: 'expression did not match',
      expressionResult: false,
    });
  });

  it('stops an ordered insertMany at the refused document, and an unordered one goes on', async () => {
    const people = await db.createCollection<Doc>('people', { validator: { age: { $gte: 0 } } });
    const docs = [
      { _id: 1, age: 1 },
      { _id: 2, age: -1 },
      { _id: 3, age: 3 },
    ];
    const ordered = await failure(people.insertMany(docs));
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    expect((ordered as MongoBulkWriteError).writeErrors).toMatchObject([{ index: 1, code: 121 }]);
    expect(await people.countDocuments()).toBe(1);
    await people.deleteMany({});
    await failure(people.insertMany(docs, { ordered: false }));
    expect(await people.countDocuments()).toBe(2);
  });

  it('checks updates, replacements, upserts and findOneAndUpdate', async () => {
    const people = await db.createCollection<Doc>('people', { validator: { age: { $gte: 0 } } });
    await people.insertOne({ _id: 1, age: 30 });
    expect((await failure(people.updateOne({ _id: 1 }, { $set: { age: -1 } }))).code).toBe(121);
    expect((await failure(people.replaceOne({ _id: 1 }, { age: -5 }))).code).toBe(121);
    expect((await failure(people.updateOne({ _id: 2 }, { $set: { age: -1 } }, { upsert: true }))).code).toBe(121);
    const error = await failure(people.findOneAndUpdate({ _id: 1 }, { $set: { age: -100 } }));
    expect(error.code).toBe(121);
    expect(error.errInfo).toMatchObject({ failingDocumentId: 1 });
    expect(await people.find().toArray()).toEqual([{ _id: 1, age: 30 }]);
    // Deletes are never checked.
    await people.deleteOne({ _id: 1 });
  });

  it('bypassDocumentValidation lets a write through', async () => {
    const people = await db.createCollection<Doc>('people', { validator: { age: { $gte: 0 } } });
    await people.insertOne({ _id: 1, age: -1 }, { bypassDocumentValidation: true });
    await people.updateOne({ _id: 1 }, { $set: { age: -2 } }, { bypassDocumentValidation: true });
    await people.findOneAndUpdate({ _id: 1 }, { $set: { age: -3 } }, { bypassDocumentValidation: true });
    expect(await people.findOne({ _id: 1 })).toEqual({ _id: 1, age: -3 });
  });

  it('applies to $out and $merge, which leave the target as it was when refused', async () => {
    const target = await db.createCollection<Doc>('target', { validator: { age: { $gte: 0 } } });
    await target.insertOne({ _id: 100, age: 1 });
    const source = db.collection<Doc>('source');
    await source.insertMany([
      { _id: 1, age: 5 },
      { _id: 2, age: -5 },
    ]);
    expect((await failure(source.aggregate([{ $out: 'target' }]).toArray())).code).toBe(121);
    expect(await target.find().toArray()).toEqual([{ _id: 100, age: 1 }]);
    expect((await failure(source.aggregate([{ $merge: { into: 'target' } }]).toArray())).code).toBe(121);
    await source.aggregate([{ $out: 'target' }], { bypassDocumentValidation: true }).toArray();
    expect(await target.countDocuments()).toBe(2);
    // $out keeps the target's validator.
    expect((await failure(target.insertOne({ _id: 3, age: -1 }))).code).toBe(121);
  });
});

describe('validationLevel and validationAction', () => {
  it('moderate lets an already invalid document be updated; strict does not', async () => {
    const people = db.collection<Doc>('people');
    await people.insertMany([
      { _id: 1, age: -1 },
      { _id: 2, age: 2 },
    ]);
    await db.command({ collMod: 'people', validator: { age: { $gte: 0 } }, validationLevel: 'moderate' });
    await people.updateOne({ _id: 1 }, { $set: { age: -7 } });
    expect((await failure(people.updateOne({ _id: 2 }, { $set: { age: -2 } }))).code).toBe(121);
    expect((await failure(people.insertOne({ _id: 3, age: -3 }))).code).toBe(121);
    await db.command({ collMod: 'people', validationLevel: 'strict' });
    expect((await failure(people.updateOne({ _id: 1 }, { $set: { age: -8 } }))).code).toBe(121);
  });

  it('off checks nothing; warn logs and writes', async () => {
    const people = await db.createCollection<Doc>('people', {
      validator: { age: { $gte: 0 } },
      validationLevel: 'off',
    });
    await people.insertOne({ _id: 1, age: -1 });
    await db.command({ collMod: 'people', validationLevel: 'strict', validationAction: 'warn' });
    await people.insertOne({ _id: 2, age: -2 });
    expect(await people.countDocuments()).toBe(2);
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: 'Document would fail validation',
        obj: expect.objectContaining({ ns: 'validation.people' }),
      }),
    ]);
  });

  it('listCollections shows what was set, and collMod changes it', async () => {
    await db.createCollection('people', { validator: { age: { $gte: 0 } } });
    const options = async (): Promise<Document> =>
      (await db.listCollections({ name: 'people' }, { nameOnly: false }).toArray())[0].options as Document;
    expect(await options()).toEqual({ validator: { age: { $gte: 0 } } });
    await db.command({ collMod: 'people', validationAction: 'warn' });
    expect(await options()).toEqual({ validator: { age: { $gte: 0 } }, validationAction: 'warn' });
    await db.command({ collMod: 'people', validator: {} });
    // An empty validator is none, and mongod does not show it.
    expect(await options()).toEqual({ validationAction: 'warn' });
    await db.collection<Doc>('people').insertOne({ _id: 1, age: -1 });
  });

  it('refuses what it cannot check, clearly', async () => {
    const refused = async (options: Document): Promise<[unknown, string]> => {
      const error = await failure(db.createCollection('c', options));
      return [error.code, error.message];
    };
    expect(await refused({ validator: { $jsonSchema: { required: ['a'] } } })).toEqual([
      238,
      'validator: $jsonSchema is not supported by the embedded engine',
    ]);
    expect((await refused({ validator: { $where: 'true' } }))[0]).toBe(2);
    expect((await refused({ validator: { a: { $bogus: 1 } } }))[0]).toBe(2);
    expect((await refused({ validationLevel: 'sometimes' }))[0]).toBe(2);
    expect((await refused({ validationAction: 'errorAndLog' }))[0]).toBe(2);
    const admin = await failure(client.db('admin').createCollection('c', { validator: { a: 1 } }));
    expect(admin.code).toBe(72);
    expect(await db.listCollections().toArray()).toEqual([]);
  });
});

describe('a validator in a data directory', () => {
  it('survives a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-'));
    try {
      let engine = await startEmbeddedMongo({ port: 0, dbPath: dir });
      let other = await MongoClient.connect(engine.uri);
      await other.db('v').createCollection('people', { validator: { age: { $gte: 0 } } });
      await other.db('v').command({ collMod: 'people', validationAction: 'error' });
      await other.close();
      await engine.stop();

      engine = await startEmbeddedMongo({ port: 0, dbPath: dir });
      other = await MongoClient.connect(engine.uri);
      const people = other.db('v').collection<Doc>('people');
      try {
        expect((await failure(people.insertOne({ _id: 1, age: -1 }))).code).toBe(121);
        const [info] = await other.db('v').listCollections({ name: 'people' }, { nameOnly: false }).toArray();
        expect(info.options).toEqual({ validator: { age: { $gte: 0 } }, validationAction: 'error' });
      } finally {
        await other.close();
        await engine.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('changeStreamPreAndPostImages', () => {
  // The engine has no change streams, like a standalone mongod, which keeps the option anyway.
  const options = async (): Promise<Document> =>
    (await db.listCollections({ name: 'events' }, { nameOnly: false }).toArray())[0].options as Document;

  it('is kept by create and collMod and shown only when enabled, as mongod shows it', async () => {
    await db.createCollection('events', { changeStreamPreAndPostImages: { enabled: false } });
    expect(await options()).toEqual({});
    await db.command({ collMod: 'events', changeStreamPreAndPostImages: { enabled: true } });
    expect(await options()).toEqual({ changeStreamPreAndPostImages: { enabled: true } });
    await db.command({ collMod: 'events', validator: { a: 1 } });
    expect(await options()).toEqual({ validator: { a: 1 }, changeStreamPreAndPostImages: { enabled: true } });
  });

  it('refuses a malformed option, and the internal databases', async () => {
    const code = async (dbName: string, option: unknown): Promise<unknown> =>
      (await failure(client.db(dbName).command({ create: 'events', changeStreamPreAndPostImages: option }))).code;
    expect(await code('validation', { enabled: 1 })).toBe(14);
    expect(await code('validation', {})).toBe(40414);
    expect(await code('validation', { enabled: true, all: true })).toBe(40415);
    expect(await code('config', { enabled: true })).toBe(72);
  });
});
