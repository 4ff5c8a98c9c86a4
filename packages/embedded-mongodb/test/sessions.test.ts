import { createHash } from 'node:crypto';
import { Binary, MongoClient, MongoServerError, type ClientSession, type Db, type Document } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';
import { LogicalSessions, SESSION_TIMEOUT_MS } from '../src/sessions';

// $listLocalSessions: the logical sessions the drivers' commands carry (`lsid`), listed as mongod's
// session cache lists them, through the official driver; and the bounds of that cache.

const NO_AUTH_UID = createHash('sha256').update('').digest('hex');

async function serverError(work: Promise<unknown>): Promise<MongoServerError> {
  const error: unknown = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
  return error;
}

const idHex = (doc: Document): string => Buffer.from((doc._id.id as Binary).buffer).toString('hex');

describe('$listLocalSessions', () => {
  let server: EmbeddedMongo;
  let client: MongoClient;
  let admin: Db;

  beforeAll(async () => {
    server = await startEmbeddedMongo({ port: 0 });
    client = await MongoClient.connect(server.uri);
    admin = client.db('admin');
  });

  afterAll(async () => {
    await client.close();
    await server.stop();
  });

  const list = (spec: Document = {}, session?: ClientSession): Promise<Document[]> =>
    admin.aggregate([{ $listLocalSessions: spec }], { session }).toArray();

  it("lists the aggregate's own session, shaped as mongod's session records", async () => {
    const session = client.startSession();
    try {
      const sessions = await list({}, session);
      const own = sessions.find((doc) => idHex(doc) === Buffer.from(session.id!.id.buffer).toString('hex'));
      expect(own).toBeDefined();
      expect(Object.keys(own!)).toEqual(['_id', 'lastUse']);
      expect(Object.keys(own!._id)).toEqual(['id', 'uid']);
      expect((own!._id.id as Binary).sub_type).toBe(4);
      expect((own!._id.uid as Binary).sub_type).toBe(0);
      // No authentication: the uid is mongod's digest for no user, SHA-256 of nothing.
      expect(Buffer.from((own!._id.uid as Binary).buffer).toString('hex')).toBe(NO_AUTH_UID);
      expect(own!.lastUse).toBeInstanceOf(Date);
      expect(Date.now() - (own!.lastUse as Date).getTime()).toBeLessThan(5000);
    } finally {
      await session.endSession();
    }
  });

  it('runs the rest of the pipeline over them', async () => {
    const docs = await admin
      .aggregate([
        { $listLocalSessions: {} },
        { $limit: 1 },
        { $addFields: { dummy: 'dummy field' } },
        { $project: { _id: 0, dummy: 1 } },
      ])
      .toArray();
    expect(docs).toEqual([{ dummy: 'dummy field' }]);
  });

  it('lists every client’s sessions with allUsers, none for a named user the engine never saw', async () => {
    const other = await MongoClient.connect(server.uri);
    try {
      const session = other.startSession();
      await other.db('x').command({ ping: 1 }, { session });
      const mine = Buffer.from(session.id!.id.buffer).toString('hex');
      expect((await list({ allUsers: true })).map(idHex)).toContain(mine);
      expect(await list({ users: [{ user: 'ada', db: 'admin' }] })).toEqual([]);
      // endSessions (sent when a client closes) ends them.
      await session.endSession();
      await other.close();
      expect((await list({ allUsers: true })).map(idHex)).not.toContain(mine);
    } finally {
      await other.close();
    }
  });

  it('refuses what mongod refuses', async () => {
    const both = await serverError(list({ allUsers: true, users: [{ user: 'ada', db: 'admin' }] }));
    expect([both.code, both.codeName]).toEqual([12, 'UnsupportedFormat']);
    const notObject = await serverError(admin.aggregate([{ $listLocalSessions: 1 }]).toArray());
    expect(notObject.code).toBe(14);
    const unknown = await serverError(list({ everyone: true }));
    expect(unknown.code).toBe(40415);
    const onCollection = await serverError(
      client
        .db('x')
        .collection('c')
        .aggregate([{ $listLocalSessions: {} }])
        .toArray(),
    );
    expect([onCollection.code, onCollection.codeName]).toEqual([73, 'InvalidNamespace']);
    const notFirst = await serverError(admin.aggregate([{ $documents: [{}] }, { $listLocalSessions: {} }]).toArray());
    expect(notFirst.code).toBe(40602);
  });
});

describe('the session cache', () => {
  const lsid = (n: number): Document => {
    const id = Buffer.alloc(16);
    id.writeUInt32BE(n, 12);
    return { id: new Binary(id, 4) };
  };

  it('keeps at most its limit, dropping the least recently used', () => {
    const sessions = new LogicalSessions(3);
    for (let n = 1; n <= 4; n++) sessions.touch(lsid(n));
    sessions.touch(lsid(2)); // used again: now the most recent
    sessions.touch(lsid(5));
    expect(sessions.size).toBe(3);
    const listed = sessions.list({ allUsers: true }).map((doc) => (doc._id.id as Binary).buffer[15]);
    expect(listed).toEqual([5, 2, 4]);
  });

  it('forgets a session unused for 30 minutes', () => {
    let now = 1_000_000;
    const sessions = new LogicalSessions(100, () => now);
    sessions.touch(lsid(1));
    now += SESSION_TIMEOUT_MS / 2;
    sessions.touch(lsid(2));
    now += SESSION_TIMEOUT_MS / 2 + 1;
    expect(sessions.list({}).map((doc) => (doc._id.id as Binary).buffer[15])).toEqual([2]);
    expect(sessions.size).toBe(1);
  });

  it('ignores what is not a session id', () => {
    const sessions = new LogicalSessions();
    for (const bad of [
      undefined,
      null,
      'abc',
      { id: 'abc' },
      { id: new Binary(Buffer.alloc(16), 0) },
      { id: new Binary(Buffer.alloc(3), 4) },
    ]) {
      sessions.touch(bad);
    }
    expect(sessions.size).toBe(0);
  });
});
