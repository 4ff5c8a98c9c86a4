import request from 'supertest';
import type { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { User } from '../../src/user.model';
import { newShopper, sessionCookieOf, sessionsCollection, startTestShop, type TestShop } from '../helpers/shop';

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('user_session');
});

afterAll(async () => {
  await shop.close();
});

async function sessionIdOf(email: string): Promise<string> {
  const stored = await sessionsCollection().findOne({ 'session.user.email': email });
  if (!stored) throw new Error(`no session for ${email}`);
  return stored._id;
}

test('deleting the user ends the session on the next request', async () => {
  const shopper = await newShopper(shop.app, 'deleted');
  const sessionId = await sessionIdOf(shopper.email);
  await User.deleteOne({ email: shopper.email });

  const response = await shopper.agent.get('/cart');
  expect(response.status).toBe(302);
  expect(response.headers.location).toMatch(/^\/login(\?|$)/);
  expect(await sessionsCollection().countDocuments({ _id: sessionId })).toBe(0);
  // And the pages show a visitor.
  const index = await shopper.agent.get('/').expect(200);
  expect(index.text).toContain('href="/login"');
});

test('two apps over one database share a login', async () => {
  const other = await shop.startAnotherInstance();
  const shopper = await newShopper(shop.app, 'roaming');
  const cookie = await sessionCookieOf(shopper.agent);

  // The second instance never saw this login: it reads the session the first one wrote.
  const cart = await request(other.app).get('/cart').set('Cookie', cookie);
  expect(cart.status).toBe(200);
  expect(cart.text).toContain(shopper.email);
  // And accepts the CSRF token of that session.
  const logout = await request(other.app)
    .post('/logout')
    .set('Cookie', cookie)
    .type('form')
    .send({ _csrf: shopper.csrf });
  expect(logout.status).toBe(302);
  await shopper.agent
    .get('/cart')
    .expect(302)
    .expect('Location', /^\/login(\?|$)/);
});

test('a logged-in page view reads the session and its user in one command, and writes no session', async () => {
  const shopper = await newShopper(shop.app, 'counted');
  await shopper.agent.get('/').expect(200);

  // mongoose's client (users, products) and the store's client (sessions), with command monitoring.
  const counted = await shop.startAnotherInstance({ touchIntervalMs: 60_000 });
  const storeClient = counted.store.database.client;
  const mongooseClient = mongoose.connection.getClient() as unknown as MongoClient;
  const commands: string[] = [];
  const listener = (event: { commandName: string; command: Record<string, unknown> }) => {
    const collection = event.command[event.commandName];
    if (typeof collection === 'string') commands.push(`${event.commandName} ${collection}`);
  };
  for (const client of [storeClient, mongooseClient]) client.on('commandStarted', listener);
  try {
    const page = await request(counted.app)
      .get('/')
      .set('Cookie', await sessionCookieOf(shopper.agent))
      .expect(200);
    // Still the full shopper: the page names them.
    expect(page.text).toContain(shopper.email);
  } finally {
    for (const client of [storeClient, mongooseClient]) client.off('commandStarted', listener);
  }
  // One aggregation reads the session and, through $lookup, its user; nothing reads users apart.
  expect(commands.filter((c) => c.endsWith(' sessions'))).toEqual(['aggregate sessions']);
  expect(commands.filter((c) => c.endsWith(' users'))).toEqual([]);
  expect(commands).toContain('find products');
});
