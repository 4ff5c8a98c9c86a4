import { startEmbeddedMongo, type EmbeddedMongo } from '@session-shop/embedded-mongodb';
import { startShopProcess, sleep, type ShopProcess } from '../../tools/processes';
import { ShopClient } from '../../tools/shop-client';
import { TEST_SECRET } from '../helpers/shop';

/*
 * How many connections a shop process keeps to its database, counted by the engine that serves it:
 * an engine of this file's own, which no other client uses.
 */

jest.setTimeout(90_000);

let engine: EmbeddedMongo;
let shop: ShopProcess | undefined;

beforeAll(async () => {
  engine = await startEmbeddedMongo({ port: 0 });
});

afterAll(async () => {
  await shop?.stop('SIGKILL');
  await engine.stop();
});

/** The engine's open connections once they have stayed the same for a while (closing takes a moment). */
async function settledConnections(): Promise<number> {
  let last = engine.connections();
  for (let unchanged = 0; unchanged < 5;) {
    await sleep(100);
    const now = engine.connections();
    unchanged = now === last ? unchanged + 1 : 0;
    last = now;
  }
  return last;
}

test("one pool per process: after start-up and a shopper's visit, only mongoose's client is connected", async () => {
  // A pool of one: mongoose's client then holds exactly two connections (its monitor and one
  // pooled), however the work is timed. Every client of the process reads the same URI.
  shop = await startShopProcess({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    MONGODB_URI: `${engine.uri}/shop?maxPoolSize=1`,
  });
  const shopper = new ShopClient(shop.url);
  await shopper.get('/signup');
  const email = `pools-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  expect((await shopper.postForm('/signup', { email, password, confirmPassword: password })).status).toBe(302);
  await shopper.get('/login');
  expect((await shopper.postForm('/login', { email, password })).location).toBe('/');
  expect((await shopper.get('/cart')).status).toBe(200);
  shopper.close();

  expect(await settledConnections()).toBe(2);
});
