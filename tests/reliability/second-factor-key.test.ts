import { MongoClient } from 'mongodb';
import { shopEnvironment, spawnTs, startShopProcess, type ChildHandle } from '../../tools/processes';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';
import { TEST_SECRET } from '../helpers/shop';

/*
 * Production without TOTP_KEY offers no second factor. Should accounts already have one (the key
 * lost from the deployment), the shop refuses to start rather than let them in on a password alone.
 */

jest.setTimeout(90_000);

const dbName = uniqueDbName('second-factor-key');
const children: ChildHandle[] = [];
let client: MongoClient;

function databaseUri(): string {
  const url = new URL(testServerUri());
  url.pathname = `/${dbName}`;
  return url.toString();
}

const PRODUCTION = () => ({ NODE_ENV: 'production', SESSION_SECRET: TEST_SECRET, MONGODB_URI: databaseUri() });

beforeAll(async () => {
  client = await MongoClient.connect(testServerUri());
});

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop('SIGKILL')));
});

afterAll(async () => {
  await client.close();
  await dropDatabase(dbName);
});

test('without TOTP_KEY and without second factors, production starts (the second factor is just not offered)', async () => {
  await client.db(dbName).collection('users').insertOne({ email: 'plain@example.com', password: 'x' });
  const server = await startShopProcess(PRODUCTION());
  children.push(server);
  expect((await fetch(`${server.url}/login`)).status).toBe(200);
});

test('without TOTP_KEY while an account has a second factor, production refuses to start: one line, exit 1', async () => {
  await client
    .db(dbName)
    .collection('users')
    .insertOne({
      email: 'protected@example.com',
      password: 'x',
      twoFactor: { secret: 'v1:abcdefgh:sealed', lastStep: 1, recoveryCodes: [], enabledAt: new Date() },
    });
  const server = spawnTs('src/server.ts', { name: 'shop', env: shopEnvironment(PRODUCTION()) });
  children.push(server);
  expect(await server.exited).toBe(1);
  expect(server.output()).toMatch(
    /The shop could not start: TOTP_KEY is not set, but accounts have two-factor authentication on/,
  );
  expect(server.output()).not.toMatch(/listening/);
});
