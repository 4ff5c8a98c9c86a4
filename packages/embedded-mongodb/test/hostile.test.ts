import { Decimal128, serialize } from 'bson';
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';
import { OP_MSG, OP_QUERY } from '../src/wire';
import { connect, header, opMsg, type RawClient } from './raw-client';

// Attacks from outside the process, each one answered with MongoDB's error or the closing of that
// one connection, and each followed by a query on another connection: the engine still serves.

jest.setTimeout(120_000);

const MiB = 1024 * 1024;

let server: EmbeddedMongo;
let client: MongoClient;
let db: Db;

interface AnyDocument {
  _id: number | string;
  [field: string]: unknown;
}
const collection = (name: string) => db.collection<AnyDocument>(name);

beforeAll(async () => {
  server = await startEmbeddedMongo({ port: 0 });
  client = await MongoClient.connect(`${server.uri}/hostile`);
  db = client.db();
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

/** A new connection that gets an answer to a query: the engine survived what came before. */
async function expectServing(engine: EmbeddedMongo = server): Promise<void> {
  const raw = await connect(engine);
  await raw.send(opMsg(1, { insert: 'health', documents: [{ ok: true }], $db: 'hostile' }));
  const [, reply] = await raw.send(opMsg(2, { count: 'health', query: { ok: true }, $db: 'hostile' }));
  expect(reply).toMatchObject({ ok: 1 });
  expect(reply.n).toBeGreaterThan(0);
  raw.socket.destroy();
}

/**
 * Raw BSON of `{ a: { a: ... { d: Decimal128 } } }`, written level by level into one buffer: bson's
 * serialize would recurse, and wrapping a buffer per level would copy it `depth` times.
 */
function nestedDocument(depth: number): Buffer {
  const inner = Buffer.from(serialize({ d: Decimal128.fromString('1') }));
  const wrappers = depth - 1;
  const out = Buffer.alloc(inner.length + 8 * wrappers);
  for (let level = 0; level < wrappers; level++) {
    const offset = 7 * level;
    out.writeInt32LE(out.length - 8 * level, offset);
    out.write('\x03a\0', offset + 4, 'latin1');
  }
  inner.copy(out, 7 * wrappers);
  return out;
}

/** A BSON document with one more element (type byte, name, value bytes) at its end. */
function withElement(document: Buffer, name: string, type: number, value: Buffer): Buffer {
  const element = Buffer.concat([Buffer.from([type]), Buffer.from(`${name}\0`), value]);
  const out = Buffer.concat([document.subarray(0, document.length - 1), element, Buffer.from([0])]);
  out.writeInt32LE(out.length, 0);
  return out;
}

function findWithFilter(filter: Buffer): Buffer {
  return withElement(Buffer.from(serialize({ find: 'deep', $db: 'hostile' })), 'filter', 0x03, filter);
}

describe('a reply larger than bson can encode', () => {
  const megabyte = 'x'.repeat(MiB);

  beforeAll(async () => {
    await collection('huge').insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, payload: megabyte })));
  });

  test('a find over 20 MiB is cut into batches of at most 16 MiB, and getMore hands out the rest', async () => {
    const reply = await db.command({ find: 'huge', batchSize: 1000 });
    const first = reply.cursor.firstBatch as unknown[];
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(20);
    expect(serialize({ first }).length).toBeLessThanOrEqual(16 * MiB + 64);
    const all = await collection('huge').find().toArray();
    expect(all.map((doc) => doc._id)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await expectServing();
  });

  test('a single reply that cannot be encoded is answered with BSONObjectTooLarge', async () => {
    const raw = await connect(server);
    const [, reply] = await raw.send(
      opMsg(1, {
        aggregate: 'huge',
        pipeline: [{ $group: { _id: null, all: { $push: '$payload' } } }],
        cursor: {},
        $db: 'hostile',
      }),
    );
    expect(reply).toMatchObject({ ok: 0, code: 10334, codeName: 'BSONObjectTooLarge' });
    raw.socket.destroy();
    await expectServing();
  });
});

describe('malformed messages', () => {
  test.each([
    ['OP_MSG', OP_MSG],
    ['OP_QUERY', OP_QUERY],
  ])('17 bytes of %s (a header and one byte) get an error, not a crash', async (_name, opCode) => {
    const raw = await connect(server);
    const [, reply] = await raw.send(Buffer.concat([header(17, 1, opCode), Buffer.from([0])]));
    expect(reply).toMatchObject({ ok: 0, code: 22 });
    raw.socket.destroy();
    await expectServing();
  });

  test('an OP_MSG with its checksum flag and no room for the checksum gets an error', async () => {
    const raw = await connect(server);
    const message = opMsg(1, { ping: 1, $db: 'admin' });
    message.writeUInt32LE(1, 16); // checksumPresent, but the last 4 bytes are the body's
    const [, reply] = await raw.send(message);
    expect(reply).toMatchObject({ ok: 0 });
    raw.socket.destroy();
    await expectServing();
  });
});

describe('deeply nested documents', () => {
  test.each([10_000, 1_000_000])('a filter nested %i levels deep is refused with Overflow', async (depth) => {
    const raw = await connect(server);
    const [, reply] = await raw.send(opMsg(1, findWithFilter(nestedDocument(depth))));
    expect(reply).toMatchObject({ ok: 0, code: 15, codeName: 'Overflow' });
    raw.socket.destroy();
    await expectServing();
  });

  test('a document nested deeper than 100 levels is not stored; 100 levels are', async () => {
    const nested = (depth: number) => {
      let doc: Record<string, unknown> = { leaf: 1 };
      for (let level = 1; level < depth; level++) doc = { a: doc };
      return doc;
    };
    await collection('deep').insertOne({ _id: 100, ...nested(99) });
    await expect(collection('deep').insertOne({ _id: 150, ...nested(150) })).rejects.toMatchObject({ code: 15 });
    expect(await collection('deep').countDocuments({ _id: 150 })).toBe(0);
    await expectServing();
  });
});

describe('field names that reach into prototypes', () => {
  const prototype: Record<string, unknown> = Object.prototype as Record<string, unknown>;

  afterEach(async () => {
    // Whatever a broken engine did, the next test starts clean.
    delete prototype.polluted;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await collection('victims').countDocuments({ polluted: 'yes' })).toBe(0);
    await expectServing();
  });

  beforeAll(async () => {
    await collection('victims').insertMany([
      { _id: 1, name: 'a' },
      { _id: 2, name: 'b' },
    ]);
  });

  test.each(['__proto__.polluted', 'constructor.prototype.polluted', 'a.__proto__.polluted'])(
    '$set of %s is refused',
    async (path) => {
      await expect(collection('victims').updateOne({ _id: 1 }, { $set: { [path]: 'yes' } })).rejects.toMatchObject({
        code: 2,
      });
    },
  );

  test('an upsert whose filter names __proto__ is refused', async () => {
    await expect(
      collection('victims').updateOne({ '__proto__.polluted': 'yes' }, { $set: { name: 'c' } }, { upsert: true }),
    ).rejects.toMatchObject({ code: 2 });
  });

  test('$rename to a path through __proto__ is refused', async () => {
    await collection('victims').updateOne({ _id: 2 }, { $set: { moved: 'yes' } });
    await expect(
      collection('victims').updateOne({ _id: 2 }, { $rename: { moved: '__proto__.polluted' } }),
    ).rejects.toMatchObject({ code: 2 });
  });

  test('an inserted document with an own __proto__ key is refused', async () => {
    const document = JSON.parse('{"_id": 3, "__proto__": {"polluted": "yes"}}') as Record<string, unknown>;
    const bytes = Buffer.from(serialize({ insert: 'victims', documents: [document], $db: 'hostile' }));
    expect(bytes.includes('__proto__')).toBe(true);
    const raw = await connect(server);
    const [, reply] = await raw.send(opMsg(1, bytes));
    expect(reply).toMatchObject({ ok: 0, code: 2 });
    raw.socket.destroy();
    expect(await collection('victims').countDocuments({ _id: 3 })).toBe(0);
  });
});

describe('arrays of a million elements', () => {
  test('are queried, indexed (multikey) and expired without overflowing the stack', async () => {
    const numbers = Array.from({ length: 1_000_000 }, (_, i) => i);
    await collection('wide').insertOne({ _id: 'numbers', numbers });
    const query = () =>
      db
        .collection('wide')
        .find({ numbers: 999_999 }, { projection: { _id: 1 } })
        .toArray();
    expect(await query()).toEqual([{ _id: 'numbers' }]);
    await collection('wide').createIndex({ numbers: 1 });
    expect(await query()).toEqual([{ _id: 'numbers' }]);

    const past = new Date(Date.now() - 60_000);
    await collection('expiring').insertOne({ _id: 'dates', at: Array.from({ length: 500_000 }, () => past) });
    await collection('expiring').createIndex({ at: 1 }, { expireAfterSeconds: 0 });
    expect(server.removeExpired()).toBe(1);
    await expectServing();
  });
});

describe('documents larger than 16 MiB', () => {
  test('an insert of one is answered BSONObjectTooLarge and nothing is stored', async () => {
    const raw = await connect(server);
    const document = { _id: 'big', payload: 'x'.repeat(16 * MiB + 1024) };
    const [, reply] = await raw.send(
      opMsg(1, { insert: 'large', $db: 'hostile' }, { id: 'documents', docs: [document] }),
    );
    expect(reply.writeErrors).toEqual([expect.objectContaining({ code: 10334, codeName: 'BSONObjectTooLarge' })]);
    raw.socket.destroy();
    expect(await collection('large').countDocuments({ _id: 'big' })).toBe(0);
    await expectServing();
  });

  test('an update that would make one is answered BSONObjectTooLarge and changes nothing', async () => {
    const tenMegabytes = 'y'.repeat(10 * MiB);
    await collection('large').insertOne({ _id: 'grows', first: tenMegabytes });
    const error = await collection('large')
      .updateOne({ _id: 'grows' }, { $set: { second: tenMegabytes } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 10334 });
    expect(await collection('large').countDocuments({ _id: 'grows', second: { $exists: true } })).toBe(0);
    await expectServing();
  });
});

describe('unfinished messages and connections', () => {
  let engine: EmbeddedMongo;

  beforeEach(async () => {
    engine = await startEmbeddedMongo({
      port: 0,
      limits: { maxMessageBytes: 8 * MiB, maxBufferedBytes: 12 * MiB, maxConnections: 8 },
    });
  });

  afterEach(async () => {
    await engine.stop();
  });

  /** Starts a message that claims `length` bytes and sends `sent` of them. */
  async function startMessage(length: number, sent: number): Promise<RawClient> {
    const raw = await connect(engine);
    raw.socket.write(Buffer.concat([header(length, 1, OP_MSG), Buffer.alloc(sent - 16)]));
    return raw;
  }

  /** Megabytes cross the loopback before the engine counts them: up to 10 s on a busy CI machine. */
  async function waitFor(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(engine.stats())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  test('what closed connections held is released', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => startMessage(8 * MiB, 2 * MiB)));
    await waitFor(() => engine.stats().bufferedBytes === 10 * MiB);
    for (const raw of held) raw.socket.destroy();
    await waitFor(() => engine.stats().connections === 0);
    expect(engine.stats().bufferedBytes).toBe(0);
    await expectServing(engine);
  });

  test('past the total cap, the connection that would pass it is closed', async () => {
    const first = await Promise.all(Array.from({ length: 5 }, () => startMessage(8 * MiB, 2 * MiB)));
    await waitFor(() => engine.stats().bufferedBytes === 10 * MiB);
    const over = await startMessage(8 * MiB, 4 * MiB);
    await over.closed;
    // The client may see the close before the engine's own 'close' event has released its bytes.
    await waitFor(() => engine.stats().bufferedBytes === 10 * MiB);
    for (const raw of first) raw.socket.destroy();
    await waitFor(() => engine.stats().bufferedBytes === 0);
    await expectServing(engine);
  });

  test('a message longer than maxMessageBytes closes its connection', async () => {
    const raw = await startMessage(8 * MiB + 1, 1024);
    await raw.closed;
    await expectServing(engine);
  });

  test('connections past the cap are closed at once', async () => {
    const open = await Promise.all(Array.from({ length: 8 }, () => connect(engine)));
    await waitFor(() => engine.stats().connections === 8);
    const extra = await connect(engine);
    await extra.closed;
    open.pop()?.socket.destroy();
    await waitFor(() => engine.stats().connections === 7);
    await expectServing(engine);
    for (const raw of open) raw.socket.destroy();
  });
});
