import type { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import request from 'supertest';
import { newShopper, sessionsCollection, startTestShop, type TestShop } from '../helpers/shop';

/*
 * /healthz and /readyz for load balancers: no session, no log line, and only /readyz asks the
 * database. With the database stopped: tests/reliability/database-outage.test.ts.
 */

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('health');
});

afterAll(async () => {
  await shop.close();
});

/** Every command either client sends while `run` runs, as "name" or "name collection". */
async function commandsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const clients = [shop.store.database.client, mongoose.connection.getClient() as unknown as MongoClient];
  const commands: string[] = [];
  const listener = (event: { commandName: string; command: Record<string, unknown> }) => {
    const collection = event.command[event.commandName];
    commands.push(typeof collection === 'string' ? `${event.commandName} ${collection}` : event.commandName);
  };
  for (const client of clients) client.on('commandStarted', listener);
  try {
    await run();
  } finally {
    for (const client of clients) client.off('commandStarted', listener);
  }
  return commands;
}

test('/healthz: 200 without touching the database or the session, even with a session cookie', async () => {
  const shopper = await newShopper(shop.app, 'probe');
  const sessionsBefore = await sessionsCollection().countDocuments();
  const commands = await commandsDuring(async () => {
    const anonymous = await request(shop.app).get('/healthz');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ status: 'ok' });
    expect(anonymous.headers['set-cookie']).toBeUndefined();
    expect(anonymous.headers['cache-control']).toBe('no-store');
    const withSession = await shopper.agent.get('/healthz');
    expect(withSession.status).toBe(200);
    expect(withSession.headers['set-cookie']).toBeUndefined();
  });
  expect(commands).toEqual([]);
  expect(await sessionsCollection().countDocuments()).toBe(sessionsBefore);
});

test('/readyz: 200 once the database answers a ping, which is all it sends', async () => {
  const sessionsBefore = await sessionsCollection().countDocuments();
  const commands = await commandsDuring(async () => {
    const response = await request(shop.app).get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(response.headers['set-cookie']).toBeUndefined();
  });
  expect(commands).toEqual(['ping']);
  expect(await sessionsCollection().countDocuments()).toBe(sessionsBefore);
});
