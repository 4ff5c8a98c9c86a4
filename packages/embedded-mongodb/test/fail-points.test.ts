import {
  MongoClient,
  MongoNetworkError,
  MongoServerError,
  MongoWriteConcernError,
  type Db,
  type Document,
} from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';
import { MAX_BLOCK_TIME_MS } from '../src/fail-points';
import { connect, opMsg } from './raw-client';

// configureFailPoint with mongod's `failCommand` fail point, through the official driver, the way
// the drivers' own test suites use it against a mongod started with enableTestCommands.

type Doc = { _id?: number; [field: string]: unknown };

async function serverError(work: Promise<unknown>): Promise<MongoServerError> {
  const error: unknown = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
  return error;
}

describe('without testCommands', () => {
  it('configureFailPoint is an unknown command, as on a mongod without enableTestCommands', async () => {
    const server = await startEmbeddedMongo({ port: 0 });
    const client = await MongoClient.connect(server.uri);
    try {
      const error = await serverError(
        client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { errorCode: 8 } }),
      );
      expect(error.code).toBe(59);
      expect(error.codeName).toBe('CommandNotFound');
      await client.db('t').collection<Doc>('c').insertOne({ _id: 1 });
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe('the failCommand fail point', () => {
  let server: EmbeddedMongo;
  let client: MongoClient;
  let admin: Db;
  let db: Db;

  beforeAll(async () => {
    server = await startEmbeddedMongo({ port: 0, testCommands: true });
    client = await MongoClient.connect(server.uri, { retryReads: false, retryWrites: false });
    admin = client.db('admin');
    db = client.db('failpoints');
  });

  afterEach(async () => {
    await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
    await db.dropDatabase();
  });

  afterAll(async () => {
    await client.close();
    await server.stop();
  });

  const arm = (mode: unknown, data: Document): Promise<Document> =>
    admin.command({ configureFailPoint: 'failCommand', mode, data });

  it('fails the next matching command with the code, the message and the labels', async () => {
    await arm({ times: 1 }, { failCommands: ['insert'], errorCode: 91, errorLabels: ['RetryableWriteError'] });
    const error = await serverError(db.collection<Doc>('c').insertOne({ _id: 1 }));
    expect(error.code).toBe(91);
    expect(error.codeName).toBe('ShutdownInProgress');
    expect(error.message).toBe("Failing command via 'failCommand' failpoint");
    expect(error.hasErrorLabel('RetryableWriteError')).toBe(true);
    expect(error.errorResponse).toMatchObject({ ok: 0, code: 91, errorLabels: ['RetryableWriteError'] });
    // Failed before it ran: nothing was written. And `times: 1` is used up.
    expect(await db.collection<Doc>('c').countDocuments()).toBe(0);
    await db.collection<Doc>('c').insertOne({ _id: 1 });
    expect(await db.collection<Doc>('c').countDocuments()).toBe(1);
  });

  it('leaves other commands alone and names an unknown code as mongod does', async () => {
    await arm('alwaysOn', { failCommands: ['find'], errorCode: 4242 });
    await db.collection<Doc>('c').insertOne({ _id: 1 });
    const error = await serverError(db.collection<Doc>('c').findOne({ _id: 1 }));
    expect(error.code).toBe(4242);
    expect(error.codeName).toBe('Location4242');
    expect(error.errorLabels).toEqual([]);
    expect(await db.collection<Doc>('c').countDocuments()).toBe(1);
  });

  it('counts `times` down, and answers how often it fired', async () => {
    const before = (await arm({ times: 2 }, { failCommands: ['count'], errorCode: 8 })).count as number;
    const coll = db.collection<Doc>('c');
    expect((await serverError(coll.estimatedDocumentCount())).code).toBe(8);
    expect((await serverError(coll.estimatedDocumentCount())).code).toBe(8);
    expect(await coll.estimatedDocumentCount()).toBe(0);
    const reply = await arm('off', {});
    expect(reply).toMatchObject({ ok: 1, count: before + 2 });
  });

  it('lets `skip` matching commands through first, then fails the rest', async () => {
    await arm({ skip: 1 }, { failCommands: ['count'], errorCode: 8 });
    const coll = db.collection<Doc>('c');
    expect(await coll.estimatedDocumentCount()).toBe(0);
    expect((await serverError(coll.estimatedDocumentCount())).code).toBe(8);
    expect((await serverError(coll.estimatedDocumentCount())).code).toBe(8);
  });

  it('is cleared by mode off', async () => {
    await arm('alwaysOn', { failCommands: ['count'], errorCode: 8 });
    expect((await serverError(db.collection<Doc>('c').estimatedDocumentCount())).code).toBe(8);
    await arm('off', {});
    expect(await db.collection<Doc>('c').estimatedDocumentCount()).toBe(0);
  });

  it('fails a command by any of its names', async () => {
    // The driver sends findAndModify; mongod's alias is findandmodify.
    await arm({ times: 1 }, { failCommands: ['findandmodify'], errorCode: 8 });
    expect((await serverError(db.collection<Doc>('c').findOneAndDelete({}))).code).toBe(8);
  });

  it('closeConnection closes only that connection, without a reply, and the engine keeps serving', async () => {
    const other = await MongoClient.connect(server.uri);
    try {
      await other.db('failpoints').collection<Doc>('c').insertOne({ _id: 1 });
      await arm({ times: 1 }, { failCommands: ['count'], closeConnection: true });
      const error: unknown = await db
        .collection<Doc>('c')
        .estimatedDocumentCount()
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(MongoNetworkError);
      // The other client's connection is untouched, and the first client reconnects.
      expect(await other.db('failpoints').collection<Doc>('c').countDocuments()).toBe(1);
      expect(await db.collection<Doc>('c').estimatedDocumentCount()).toBe(1);
      expect(server.connections()).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it('fails only the connections of the named application', async () => {
    // Raw messages: under jest the driver's handshake loses its metadata (a Map from another realm).
    const named = await connect(server);
    try {
      const hello = { hello: 1, client: { application: { name: 'checkout' } }, $db: 'admin' };
      expect((await named.send(opMsg(1, hello)))[1].ok).toBe(1);
      await arm('alwaysOn', { failCommands: ['count'], errorCode: 8, appName: 'checkout' });
      expect(await db.collection<Doc>('c').estimatedDocumentCount()).toBe(0);
      const [, reply] = await named.send(opMsg(2, { count: 'c', $db: 'failpoints' }));
      expect(reply).toMatchObject({ ok: 0, code: 8 });
    } finally {
      named.socket.destroy();
    }
  });

  it('fails only commands on the given namespace', async () => {
    await arm('alwaysOn', { failCommands: ['count'], errorCode: 8, namespace: 'failpoints.b' });
    expect(await db.collection<Doc>('a').estimatedDocumentCount()).toBe(0);
    expect((await serverError(db.collection<Doc>('b').estimatedDocumentCount())).code).toBe(8);
  });

  it('adds a writeConcernError to a write that still happens', async () => {
    await arm(
      { times: 1 },
      { failCommands: ['insert'], writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' } },
    );
    const error: unknown = await db
      .collection<Doc>('c')
      .insertOne({ _id: 1 })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(MongoWriteConcernError);
    expect((error as MongoWriteConcernError).code).toBe(64);
    expect(await db.collection<Doc>('c').countDocuments()).toBe(1);
  });

  it('blockConnection holds that connection only, then runs the command', async () => {
    const other = await MongoClient.connect(server.uri);
    try {
      // A block long enough that the other connection's answer, even on a busy CI machine, comes
      // well within it.
      await arm({ times: 1 }, { failCommands: ['insert'], blockConnection: true, blockTimeMS: 1500 });
      const started = Date.now();
      const blocked = db.collection<Doc>('c').insertOne({ _id: 1 });
      // Served meanwhile on its own connection.
      expect(await other.db('failpoints').collection<Doc>('c').countDocuments()).toBe(0);
      expect(Date.now() - started).toBeLessThan(1200);
      await blocked;
      expect(Date.now() - started).toBeGreaterThanOrEqual(1490);
      expect(await db.collection<Doc>('c').countDocuments()).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('blockConnection then errorCode answers the error after the wait', async () => {
    await arm({ times: 1 }, { failCommands: ['count'], blockConnection: true, blockTimeMS: 100, errorCode: 8 });
    const started = Date.now();
    expect((await serverError(db.collection<Doc>('c').estimatedDocumentCount())).code).toBe(8);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('a held connection answers its later messages after the held one, in order', async () => {
    const raw = await connect(server);
    try {
      await arm({ times: 1 }, { failCommands: ['count'], blockConnection: true, blockTimeMS: 150 });
      const started = Date.now();
      const order: string[] = [];
      const count = raw.send(opMsg(1, { count: 'c', $db: 'failpoints' })).then(([, reply]) => {
        order.push('count');
        return reply;
      });
      const ping = raw.send(opMsg(2, { ping: 1, $db: 'admin' })).then(([, reply]) => {
        order.push('ping');
        return reply;
      });
      expect(await count).toMatchObject({ ok: 1, n: 0 });
      expect(await ping).toMatchObject({ ok: 1 });
      expect(order).toEqual(['count', 'ping']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      raw.socket.destroy();
    }
  });

  it('refuses what it does not have, clearly', async () => {
    const refused = async (command: Document): Promise<[number | undefined, string]> => {
      const error = await serverError(admin.command(command));
      return [error.code as number | undefined, error.message];
    };
    expect(await refused({ configureFailPoint: 'hangBeforeCommit', mode: 'alwaysOn' })).toEqual([
      266,
      expect.stringContaining('hangBeforeCommit not found'),
    ]);
    expect(
      await refused({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { errorCode: 8, threadName: 'x' } }),
    ).toEqual([238, expect.stringContaining("'threadName'")]);
    expect(await refused({ configureFailPoint: 'failCommand', mode: 'sometimes' })).toEqual([
      2,
      'unknown mode: sometimes',
    ]);
    expect(await refused({ configureFailPoint: 'failCommand', mode: { times: -1 } })).toEqual([
      2,
      "'times' option to 'mode' must be positive",
    ]);
    expect(await refused({ configureFailPoint: 'failCommand' })).toEqual([20, expect.stringContaining("'mode'")]);
    expect(
      await refused({
        configureFailPoint: 'failCommand',
        mode: 'alwaysOn',
        data: { failCommands: ['find'], blockConnection: true },
      }),
    ).toEqual([72, expect.stringContaining('blockTimeMS')]);
    expect(
      await refused({
        configureFailPoint: 'failCommand',
        mode: 'alwaysOn',
        data: { failCommands: ['find'], blockConnection: true, blockTimeMS: MAX_BLOCK_TIME_MS + 1 },
      }),
    ).toEqual([72, expect.stringContaining('at most')]);
    const onOtherDb = await serverError(
      db.command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { errorCode: 8 } }),
    );
    expect(onOtherDb.code).toBe(13);
    // None of those armed anything.
    await db.collection<Doc>('c').insertOne({ _id: 1 });
    expect(await db.collection<Doc>('c').findOne({ _id: 1 })).toEqual({ _id: 1 });
  });
});

describe('stopping the engine', () => {
  it('does not wait for a connection a fail point holds', async () => {
    const server = await startEmbeddedMongo({ port: 0, testCommands: true });
    const raw = await connect(server);
    const data = { failCommands: ['ping'], blockConnection: true, blockTimeMS: MAX_BLOCK_TIME_MS };
    const [, armed] = await raw.send(
      opMsg(1, { configureFailPoint: 'failCommand', mode: 'alwaysOn', data, $db: 'admin' }),
    );
    expect(armed.ok).toBe(1);
    void raw.send(opMsg(2, { ping: 1, $db: 'admin' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.stop();
    await raw.closed;
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
