import { MongoClient } from 'mongodb';
import { isDuplicateKey } from '../../src/platform/database/duplicate-key';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';

// The server's refusals as isDuplicateKey reads them: by code, and with a key pattern, by index.
const dbName = uniqueDbName('duplicate_key');
let client: MongoClient;

beforeAll(async () => {
  client = await MongoClient.connect(testServerUri());
});

afterAll(async () => {
  await client.close();
  await dropDatabase(dbName);
});

function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected the server to refuse');
    },
    (error: unknown) => error,
  );
}

test("a unique index's refusal, told apart by the index's fields; any other error is not one", async () => {
  const things = client.db(dbName).collection<{ _id: string; email: string }>('things');
  await things.createIndex({ email: 1 }, { unique: true });
  await things.insertOne({ _id: 'a', email: 'taken@example.com' });

  const takenEmail = await failure(things.insertOne({ _id: 'b', email: 'taken@example.com' }));
  const takenId = await failure(things.insertOne({ _id: 'a', email: 'free@example.com' }));
  expect(isDuplicateKey(takenEmail)).toBe(true);
  expect(isDuplicateKey(takenEmail, { email: 1 })).toBe(true);
  expect(isDuplicateKey(takenEmail, { _id: 1 })).toBe(false);
  expect(isDuplicateKey(takenId, { _id: 1 })).toBe(true);
  expect(isDuplicateKey(takenId, { email: 1 })).toBe(false);

  const refused = await failure(things.find({ email: { $nope: 1 } }).toArray());
  for (const other of [refused, new Error('E11000 duplicate key'), { code: '11000' }, undefined, null, 11000]) {
    expect(isDuplicateKey(other)).toBe(false);
  }
});
