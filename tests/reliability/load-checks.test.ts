import { MongoClient, ObjectId, type Db } from 'mongodb';
import { verifyDatabase, type Check, type Ledger } from '../../tools/database-checks';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';

/*
 * The load test's database checks (tools/database-checks.ts) on hand-made data: they pass when the
 * database holds what was acknowledged, and each fails on its own kind of loss.
 * `npm run load` itself runs in CI (.ci/run).
 */

let client: MongoClient;
let db: Db;
let dbName: string;

const tea = new ObjectId();
const sessions = () => db.collection<{ _id: string; expires: Date; session: object }>('sessions');
const cup = new ObjectId();

beforeAll(async () => {
  client = await MongoClient.connect(testServerUri());
});

afterAll(async () => {
  await client.close();
});

beforeEach(async () => {
  dbName = uniqueDbName('load_checks');
  db = client.db(dbName);
  // Ann: 3 teas and a cup acknowledged, one order; 2 teas ordered, 1 tea and the cup in the cart.
  const ann = new ObjectId();
  await db.collection('users').insertOne({
    _id: ann,
    email: 'ann@example.com',
    cart: {
      items: [
        { productId: tea, quantity: 1 },
        { productId: cup, quantity: 1 },
      ],
    },
  });
  await db
    .collection('orders')
    .insertOne({ items: [{ productId: tea, quantity: 2 }], user: { userId: ann, email: 'ann@example.com' } });
  await sessions().insertOne({
    _id: 'ann-session',
    expires: new Date(Date.now() + 60_000),
    session: { cookie: { path: '/' }, isLoggedIn: true, user: { _id: ann.toHexString(), email: 'ann@example.com' } },
  });
});

afterEach(async () => {
  await dropDatabase(dbName);
});

function annLedger(): Ledger {
  return {
    email: 'ann@example.com',
    addedUnits: new Map([
      [tea.toHexString(), 3],
      [cup.toHexString(), 1],
    ]),
    orders: 1,
    uncertain: 0,
  };
}

function failing(checks: Check[]): string[] {
  return checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`);
}

test('everything acknowledged is there: every check passes', async () => {
  expect(failing(await verifyDatabase(db, [annLedger()]))).toEqual([]);
});

test('a lost unit, an extra unit and a lost order are each reported', async () => {
  const ledger = annLedger();
  ledger.addedUnits.set(tea.toHexString(), 4);
  ledger.addedUnits.set(cup.toHexString(), 0);
  ledger.orders = 2;
  expect(failing(await verifyDatabase(db, [ledger]))).toEqual([
    expect.stringMatching(/add-to-cart.*product \w+ acknowledged 4, found 3; .*product \w+ acknowledged 0, found 1/),
    expect.stringMatching(/order.*2 orders acknowledged, 1 found/),
  ]);
});

test('unanswered requests allow more than was acknowledged, never less', async () => {
  const ledger = { ...annLedger(), orders: 0, uncertain: 1 };
  ledger.addedUnits.set(tea.toHexString(), 2);
  expect(failing(await verifyDatabase(db, [ledger]))).toEqual([]);
  ledger.addedUnits.set(cup.toHexString(), 2);
  expect(failing(await verifyDatabase(db, [ledger]))).toEqual([expect.stringMatching(/acknowledged 2, found 1/)]);
});

test('a login without its user, and a second login left by a logout that did not end it, are reported', async () => {
  await sessions().insertMany([
    {
      _id: 'half',
      expires: new Date(Date.now() + 60_000),
      session: { cookie: { path: '/' }, isLoggedIn: true },
    },
    {
      _id: 'ann-again',
      expires: new Date(Date.now() + 60_000),
      session: {
        cookie: { path: '/' },
        isLoggedIn: true,
        user: { _id: new ObjectId().toHexString(), email: 'ann@example.com' },
      },
    },
  ]);
  expect(failing(await verifyDatabase(db, [annLedger()]))).toEqual([
    expect.stringMatching(/half-written.*1 incomplete: half/),
    expect.stringMatching(/at most one login.*ann@example.com: 2/),
  ]);
});

test('a login whose answer never came (its process killed) may leave one more session, no more', async () => {
  const anotherLogin = (id: string) => ({
    _id: id,
    expires: new Date(Date.now() + 60_000),
    session: {
      cookie: { path: '/' },
      isLoggedIn: true,
      user: { _id: new ObjectId().toHexString(), email: 'ann@example.com' },
    },
  });
  await sessions().insertOne(anotherLogin('ann-unanswered'));
  expect(failing(await verifyDatabase(db, [{ ...annLedger(), unansweredLogins: 1 }]))).toEqual([]);
  await sessions().insertOne(anotherLogin('ann-lingering'));
  expect(failing(await verifyDatabase(db, [{ ...annLedger(), unansweredLogins: 1 }]))).toEqual([
    expect.stringMatching(/at most one login.*ann@example.com: 3/),
  ]);
});

test("order numbers skipped between the run's orders are counted, and more than 1% fail", async () => {
  const ann = (await db.collection('users').findOne({ email: 'ann@example.com' }))!._id;
  const order = (number: number) => ({
    number,
    items: [{ productId: cup, quantity: 1 }],
    user: { userId: ann, email: 'ann@example.com' },
  });
  // Someone else's order inside the range counts as a number used.
  await db
    .collection('orders')
    .insertMany([order(1001), order(1002), { ...order(1003), user: { userId: new ObjectId() } }]);
  const ledger = { ...annLedger(), orders: 3 };
  ledger.addedUnits.set(cup.toHexString(), 3);
  const checks = await verifyDatabase(db, [ledger]);
  expect(failing(checks)).toEqual([]);
  await db.collection('orders').insertOne(order(1000 + 100));
  ledger.orders = 4;
  ledger.addedUnits.set(cup.toHexString(), 4);
  expect(failing(await verifyDatabase(db, [ledger]))).toEqual([
    expect.stringMatching(/order numbers run on.*: 96 of 100 numbers skipped \(96\.0%\), orders 1001 to 1100/),
  ]);
});

test('an order a killed process left being placed holds its units and its number', async () => {
  const ann = (await db.collection('users').findOne({ email: 'ann@example.com' }))!._id;
  const order = (number: number) => ({
    number,
    items: [{ productId: cup, quantity: 1 }],
    user: { userId: ann, email: 'ann@example.com' },
  });
  await db.collection('orders').insertMany([order(1001), order(1003)]);
  // Order 1002 was claimed from the cart (two cups) and numbered; its process died before inserting it.
  await db
    .collection('users')
    .updateOne(
      { _id: ann },
      { $set: { pendingOrders: [{ id: new ObjectId(), items: [{ productId: cup, quantity: 2 }], number: 1002 }] } },
    );
  // Its answer never came: the shopper was told nothing of that order.
  const ledger = { ...annLedger(), orders: 2, uncertain: 1 };
  ledger.addedUnits.set(cup.toHexString(), 5);
  expect(failing(await verifyDatabase(db, [ledger]))).toEqual([]);

  // Without the pending record, its units and its number are missing.
  await db.collection('users').updateOne({ _id: ann }, { $unset: { pendingOrders: '' } });
  expect(failing(await verifyDatabase(db, [ledger]))).toEqual([
    expect.stringMatching(/every acknowledged add-to-cart.*acknowledged 5, found 3/),
    expect.stringMatching(/order numbers run on.*: 1 of 3 numbers skipped/),
  ]);
});

test('nothing oversold: stock, held units and orders add up to what each counted product started with', async () => {
  const kettle = new ObjectId();
  const held = new ObjectId();
  await db.collection('products').insertOne({
    _id: kettle,
    title: 'Kettle',
    stock: 1,
    // Held for an order being placed (no order yet): counted once.
    stockTakenBy: [{ order: held, quantity: 1, at: new Date() }],
  });
  const kettleOrder = (quantity: number, status?: string) => ({
    items: [{ productId: kettle, quantity }],
    user: { userId: new ObjectId() },
    ...(status ? { status } : {}),
  });
  // 2 + 1 ordered, 1 held, 1 in stock: 5. A cancelled order's units came back: not counted.
  await db.collection('orders').insertMany([kettleOrder(2), kettleOrder(1, 'shipped'), kettleOrder(4, 'cancelled')]);
  const initial = new Map([[kettle.toHexString(), 5]]);
  const stockCheck = async () =>
    (await verifyDatabase(db, [annLedger()], initial)).find((check) => check.name.startsWith('nothing oversold'))!;
  expect(await stockCheck()).toMatchObject({
    ok: true,
    detail: '1 counted products: 3 of their 5 units ordered, 0 sold out',
  });

  // One more order than the units allow: oversold.
  await db.collection('orders').insertOne(kettleOrder(1));
  expect(await stockCheck()).toMatchObject({
    ok: false,
    detail: expect.stringMatching(/started with 5, 1 in stock \+ 1 held \+ 4 ordered/),
  });
  // A stock below 0 is reported as such.
  await db.collection('products').updateOne({ _id: kettle }, { $set: { stock: -1 }, $unset: { stockTakenBy: 1 } });
  expect(await stockCheck()).toMatchObject({ ok: false, detail: expect.stringMatching(/stock -1/) });
});
