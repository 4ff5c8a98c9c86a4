import session, { type SessionData } from 'express-session';
import { MongoClient, type Collection } from 'mongodb';
import { promisify } from 'node:util';
import type { Request } from 'express';
import { MongoSessionStore } from '../../src/sessions/mongo-session-store';
import type { SessionDocument } from '../../src/sessions/session-document';
import { isDatabaseUnavailable } from '../../src/platform/database/unavailable';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';
import { withSlowSessionWrites } from '../helpers/slow-writes';

const dbName = uniqueDbName('session_store');
const TOUCH_INTERVAL_MS = 60_000;
let clock = Date.now();
let store: MongoSessionStore;
/** The store's client, with command monitoring: it shows every command the store sends. */
let storeClient: MongoClient;
let client: MongoClient;
let sessions: Collection<SessionDocument>;

/** Session data as express-session hands it to the store: a live Cookie with a maxAge. */
function sessionData(extra: Partial<SessionData> = {}, maxAgeMs = 3_600_000): SessionData {
  const cookie = new session.Cookie();
  cookie.maxAge = maxAgeMs;
  return { ...extra, cookie };
}

const set = (sid: string, data: SessionData) => promisify(store.set.bind(store))(sid, data);
const get = (sid: string) => promisify(store.get.bind(store))(sid);
const touch = (sid: string, data: SessionData) =>
  new Promise<void>((resolve, reject) =>
    store.touch(sid, data, (error?: unknown) => (error ? reject(error) : resolve())),
  );
const all = () => promisify(store.all.bind(store))();
const length = () => promisify(store.length.bind(store))();

/** What `get` returns, turned back into the live session express-session would touch. */
async function loaded(sid: string, maxAgeMs: number): Promise<SessionData> {
  const stored = await get(sid);
  if (!stored) throw new Error(`session ${sid} not found`);
  return sessionData(stored, maxAgeMs);
}

/** What express-session makes of a stored session for a request: `get`, then the store's `createSession`. */
async function loadedLive(sid: string): Promise<SessionData> {
  const stored = await get(sid);
  if (!stored) throw new Error(`session ${sid} not found`);
  const req = { sessionID: sid, sessionStore: store } as unknown as Request;
  return store.createSession(req, stored);
}

beforeAll(async () => {
  storeClient = await MongoClient.connect(testServerUri(), { monitorCommands: true });
  store = new MongoSessionStore({
    uri: testServerUri(),
    database: storeClient.db(dbName),
    idleTimeoutMs: 3_600_000,
    touchIntervalMs: TOUCH_INTERVAL_MS,
    now: () => clock,
  });
  await store.ready();
  client = await MongoClient.connect(testServerUri());
  sessions = client.db(dbName).collection<SessionDocument>('sessions');
});

afterAll(async () => {
  await store.close();
  await storeClient.close();
  await client.close();
  await dropDatabase(dbName);
});

beforeEach(async () => {
  await sessions.deleteMany({});
});

describe('touch', () => {
  test('within the interval it writes nothing; after it, the expiry moves forward', async () => {
    // A lifetime longer than the interval, as the configuration requires.
    await set('sid-touch', sessionData({ isLoggedIn: true }, 90_000));
    const written = await sessions.findOne({ _id: 'sid-touch' });
    expect(written?.session.touchedAt).toBe(clock);

    // Half an interval later, with a cookie that now expires much later: nothing is written.
    clock += TOUCH_INTERVAL_MS / 2;
    await touch('sid-touch', await loaded('sid-touch', 3_600_000));
    const untouched = await sessions.findOne({ _id: 'sid-touch' });
    expect(untouched?.expires).toEqual(written?.expires);
    expect(untouched?.session.touchedAt).toBe(written?.session.touchedAt);

    // A whole interval after the write: the new expiry and the new write time are stored.
    clock += TOUCH_INTERVAL_MS / 2;
    const live = await loaded('sid-touch', 3_600_000);
    await touch('sid-touch', live);
    const touched = await sessions.findOne({ _id: 'sid-touch' });
    expect(touched?.expires.getTime()).toBeGreaterThan(written!.expires.getTime());
    // The cookie's lifetime from the store's clock.
    expect(touched?.expires.getTime()).toBe(clock + 3_600_000);
    expect(touched?.session.touchedAt).toBe(clock);
    expect(touched?.session.isLoggedIn).toBe(true);
  });

  test('a touch within the interval sends no command to the database; after it, one update', async () => {
    await set('sid-quiet', sessionData());
    const live = await loaded('sid-quiet', 3_600_000);
    const commands: string[] = [];
    const listen = (event: { commandName: string }) => commands.push(event.commandName);
    storeClient.on('commandStarted', listen);
    try {
      await touch('sid-quiet', live);
      expect(commands).toEqual([]);
      clock += TOUCH_INTERVAL_MS;
      await touch('sid-quiet', live);
      expect(commands).toEqual(['update']);
    } finally {
      storeClient.off('commandStarted', listen);
    }
  });

  test('a touch never brings back a destroyed session', async () => {
    await set('sid-gone', sessionData());
    const live = await loaded('sid-gone', 3_600_000);
    await sessions.deleteOne({ _id: 'sid-gone' });
    clock += TOUCH_INTERVAL_MS;
    await touch('sid-gone', live);
    expect(await sessions.countDocuments({ _id: 'sid-gone' })).toBe(0);
  });

  test('set leaves the session it is given unchanged', async () => {
    const data = sessionData({ isLoggedIn: true });
    await set('sid-copy', data);
    expect(data.touchedAt).toBeUndefined();
  });
});

describe('set', () => {
  test('a repeated set of the same session object, unchanged, sends nothing; a changed one is written', async () => {
    const live = sessionData({ isLoggedIn: true });
    await set('sid-twice', live);
    const commands: string[] = [];
    const listen = (event: { commandName: string }) => commands.push(event.commandName);
    storeClient.on('commandStarted', listen);
    try {
      // What express-session does after login: the explicit save, then the same data at the end of the
      // response, with the rolling cookie's expiry moved on by a few milliseconds.
      live.cookie.maxAge = 3_600_000;
      await set('sid-twice', live);
      expect(commands).toEqual([]);
      // Another request's session object (read, then) with the same contents is written: its expiry moves on.
      await set('sid-twice', await loadedLive('sid-twice'));
      expect(commands).toEqual(['find', 'update']);
      // So is a change, and the same object under another id, which is a new session.
      live.isLoggedIn = false;
      await set('sid-twice', live);
      await set('sid-other', live);
      expect(commands).toEqual(['find', 'update', 'update', 'insert']);
    } finally {
      storeClient.off('commandStarted', listen);
    }
    expect((await sessions.findOne({ _id: 'sid-twice' }))?.session.isLoggedIn).toBe(false);
  });
});

describe('all and length', () => {
  test('list and count the live sessions, leaving out expired ones', async () => {
    await set('sid-a', sessionData({ isLoggedIn: true }));
    await set('sid-b', sessionData({ isLoggedIn: false }));
    await sessions.insertOne({ _id: 'sid-expired', expires: new Date(Date.now() - 1000), session: sessionData() });

    const listed = await all();
    expect(Object.keys(listed ?? {}).sort()).toEqual(['sid-a', 'sid-b']);
    expect(listed?.['sid-a']).toMatchObject({ isLoggedIn: true });
    expect(await length()).toBe(2);
  });

  test('work on an empty collection', async () => {
    expect(await all()).toEqual({});
    expect(await length()).toBe(0);
  });
});

test('indexes: TTL on expires, and one on the session user id', async () => {
  const indexes = await sessions.indexes();
  expect(indexes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ key: { expires: 1 }, expireAfterSeconds: 0 }),
      expect.objectContaining({ key: { 'session.user._id': 1 } }),
    ]),
  );
});

test("a store over slow session writes (the tests' helper) holds every write back by that long", async () => {
  const slow = new MongoSessionStore({
    uri: testServerUri(),
    database: withSlowSessionWrites(storeClient.db(dbName), 200),
    idleTimeoutMs: 3_600_000,
    touchIntervalMs: TOUCH_INTERVAL_MS,
  });
  try {
    await slow.ready();
    const started = Date.now();
    await promisify(slow.set.bind(slow))('sid-slow', sessionData());
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    expect(await sessions.countDocuments({ _id: 'sid-slow' })).toBe(1);
  } finally {
    await slow.close();
  }
});

test("a failed command reaches the store's 'error' listeners and the callback, the driver's error as cause", async () => {
  // Nothing listens on port 1: every command fails once server selection gives up.
  const uri = 'mongodb://127.0.0.1:1';
  const brokenClient = new MongoClient(uri, { serverSelectionTimeoutMS: 200 });
  const broken = new MongoSessionStore({
    uri,
    database: brokenClient.db(dbName),
    idleTimeoutMs: 3_600_000,
    touchIntervalMs: TOUCH_INTERVAL_MS,
    connectionOptions: { serverSelectionTimeoutMS: 200 },
  });
  const heard: Error[] = [];
  broken.on('error', (error: Error) => heard.push(error));
  try {
    // Neither the library's client nor the store's could create an index: both reported.
    await broken.ready();
    expect(heard.map((error) => error.message)).toEqual([
      expect.stringMatching(/^Error connecting to db/),
      expect.stringMatching(/^Error creating the session indexes/),
    ]);
    heard.length = 0;
    const error = await new Promise<unknown>((resolve) => broken.get('sid-any', resolve));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Error finding a session: /);
    // What the error handler follows to answer 503 rather than 500.
    expect(isDatabaseUnavailable((error as Error).cause)).toBe(true);
    expect(heard).toEqual([error]);
  } finally {
    await broken.close();
    await brokenClient.close();
  }
});
