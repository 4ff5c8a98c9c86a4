import session from 'express-session';
import connectMongoDBSession from 'connect-mongodb-session';
import { MongoClient } from 'mongodb';
import { promisify } from 'node:util';
import { testServerUri, uniqueDbName } from '../helpers/database';

// connect-mongodb-session as the course uses it, unmodified, against the resolved server.
const MongoDBStore = connectMongoDBSession(session);
const dbName = uniqueDbName('conformance_store');
let store: InstanceType<typeof MongoDBStore>;
let client: MongoClient;

function sessionData(extra: Record<string, unknown>): session.SessionData {
  const cookie = new session.Cookie();
  cookie.maxAge = 60_000;
  return { cookie, ...extra } as session.SessionData;
}

beforeAll(async () => {
  store = new MongoDBStore({ uri: testServerUri(), databaseName: dbName, collection: 'sessions' });
  await new Promise<void>((resolve, reject) => {
    store.once('connected', () => resolve());
    store.once('error', reject);
  });
  client = await MongoClient.connect(testServerUri());
});

afterAll(async () => {
  await client.db(dbName).dropDatabase();
  await client.close();
  await (store as unknown as { client: MongoClient }).client.close();
});

test('set, get, destroy and clear sessions', async () => {
  const set = promisify(store.set.bind(store));
  const get = promisify(store.get.bind(store));
  const destroy = promisify(store.destroy.bind(store));
  const clear = promisify(store.clear.bind(store)) as () => Promise<void>;

  await set('sid-1', sessionData({ isLoggedIn: true }));
  await set('sid-2', sessionData({ isLoggedIn: false }));
  expect(await get('sid-1')).toMatchObject({ isLoggedIn: true });

  const stored = await client
    .db(dbName)
    .collection('sessions')
    .findOne({ _id: 'sid-1' as never });
  expect(stored?.expires).toBeInstanceOf(Date);
  expect(stored?.session).toMatchObject({ isLoggedIn: true, cookie: { httpOnly: true } });

  await destroy('sid-1');
  expect(await get('sid-1')).toBeUndefined();
  await clear();
  expect(await get('sid-2')).toBeUndefined();
});

test('the store creates the TTL index on expires', async () => {
  const indexes = await client.db(dbName).collection('sessions').indexes();
  expect(indexes).toEqual(
    expect.arrayContaining([expect.objectContaining({ key: { expires: 1 }, expireAfterSeconds: 0 })]),
  );
});
