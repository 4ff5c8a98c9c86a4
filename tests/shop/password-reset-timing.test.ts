import type { Express } from 'express';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import request from 'supertest';
import { startEmbeddedMongo, type EmbeddedMongo } from '@session-shop/embedded-mongodb';
import { createApp } from '../../src/app';
import { AccountToken } from '../../src/accounts/account-token.model';
import { User } from '../../src/user.model';
import { loadConfig } from '../../src/platform/config';
import { silentLogger } from '../../src/platform/logger';
import { MongoSessionStore } from '../../src/sessions/mongo-session-store';
import { linkPathIn, TestInbox } from '../helpers/mail';
import { TEST_SECRET, formCsrfTokenIn, newShopper } from '../helpers/shop';

/*
 * A reset request answers after the same work whether the address has an account or not: the
 * token's writes and the mail follow the answer. Shown with a database that holds the token's
 * insert back (the failCommand fail point of an engine of this file's own, started with test
 * commands as mongod's enableTestCommands): the answer comes while the write is still held.
 */

/** How long the database holds the token's insert: far longer than an answer takes. */
const HOLD_MS = 4000;

let engine: EmbeddedMongo;
let admin: MongoClient;
let inbox: TestInbox;
let store: MongoSessionStore;
let app: Express;

beforeAll(async () => {
  engine = await startEmbeddedMongo({ port: 0, testCommands: true });
  inbox = await TestInbox.start();
  const uri = `${engine.uri}/shop`;
  await mongoose.connect(uri);
  await mongoose.connection.syncIndexes();
  admin = await MongoClient.connect(engine.uri);
  const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, SMTP_URL: inbox.url });
  store = new MongoSessionStore({
    uri,
    database: mongoose.connection.getClient().db('shop'),
    idleTimeoutMs: config.session.idleTimeoutMs,
    touchIntervalMs: config.session.touchIntervalMs,
  });
  await store.ready();
  app = createApp(config, { sessionStore: store, logger: silentLogger });
});

afterAll(async () => {
  await store.close();
  await admin.close();
  await mongoose.disconnect();
  await inbox.close();
  await engine.stop();
});

async function askForReset(email: string) {
  const agent = request.agent(app);
  const page = await agent.get('/reset').expect(200);
  return agent
    .post('/reset')
    .type('form')
    .send({ _csrf: formCsrfTokenIn(page.text, '/reset'), email })
    .expect(200);
}

test('the answer does not wait for the token writes, whether the address has an account or not', async () => {
  const shopper = await newShopper(app, 'hurried');
  const user = await User.findOne({ email: shopper.email }).orFail();
  await admin.db('admin').command({
    configureFailPoint: 'failCommand',
    mode: { times: 1 },
    data: {
      failCommands: ['insert'],
      namespace: `shop.${AccountToken.collection.collectionName}`,
      blockConnection: true,
      blockTimeMS: HOLD_MS,
    },
  });
  try {
    const known = await askForReset(shopper.email);
    // Answered while the database still holds the insert: no reset link exists yet.
    expect(await AccountToken.countDocuments({ userId: user._id, purpose: 'reset-password' })).toBe(0);
    const unknown = `nobody-${Date.now()}@example.com`;
    const other = await askForReset(unknown);
    expect(known.text.replace(shopper.email, 'ADDRESS')).toBe(other.text.replace(unknown, 'ADDRESS'));

    // Once the write goes through, the link is mailed and works.
    const link = linkPathIn(await inbox.waitFor(shopper.email, /Reset your password/, 3 * HOLD_MS), '/reset/');
    await request(app).get(link).expect(200);
    expect(inbox.to(unknown)).toEqual([]);
  } finally {
    await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  }
});
