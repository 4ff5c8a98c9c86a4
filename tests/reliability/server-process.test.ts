import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { MongoClient, ObjectId } from 'mongodb';
import {
  listensOn,
  shopEnvironment,
  spawnTs,
  startEngineProcess,
  startShopProcess,
  waitForOutput,
  type ChildHandle,
} from '../../tools/processes';
import { ShopClient } from '../../tools/shop-client';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';
import { TEST_SECRET } from '../helpers/shop';

/*
 * src/server.ts as its own process, as it runs in production: what happens when the database is
 * not there at start-up, and how SIGTERM ends it.
 */

jest.setTimeout(90_000);

const children: ChildHandle[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop('SIGKILL')));
});

/**
 * A port on which nothing listens, and that nothing of ours will take meanwhile: below the
 * kernel's ephemeral range, from which every `listen(0)` (supertest's servers in the other jest
 * worker, freePort) draws. A port found free there could be taken a moment later, and the shop
 * would reach an HTTP server instead of no one.
 */
async function closedPort(): Promise<number> {
  let lowest = 32768;
  try {
    lowest = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // Not Linux: the IANA range's start is a fair guess.
  }
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * (lowest - 10_000));
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return port;
  }
}

function spawnServer(env: Record<string, string>): ChildHandle {
  const handle = spawnTs('src/server.ts', {
    name: 'shop',
    env: shopEnvironment({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, ...env }),
  });
  children.push(handle);
  return handle;
}

test('production without MONGODB_URI refuses to start on the embedded engine: one line, exit 1', async () => {
  const server = spawnServer({ NODE_ENV: 'production', SESSION_SECRET: TEST_SECRET });
  expect(await server.exited).toBe(1);
  const output = server.output();
  expect(output).toMatch(/MONGODB_URI is required when NODE_ENV=production/);
  expect(output).not.toMatch(/embedded MongoDB-compatible engine at|listening/);
});

describe('database down at start-up', () => {
  test('one line naming the URI without its password, and exit 1 within the configured time', async () => {
    const port = await closedPort();
    const started = Date.now();
    const server = spawnServer({
      MONGODB_URI: `mongodb://shop:secret@127.0.0.1:${port}/shop`,
      DB_CONNECT_TIMEOUT_MS: '1000',
    });
    expect(await server.exited).toBe(1);
    // 1 s for the attempt, the rest is starting Node and tsx on a busy machine; the driver's own
    // default would have waited 30 s.
    expect(Date.now() - started).toBeLessThan(20_000);
    const output = server.output();
    const failure = output.split('\n').filter((line) => line.startsWith('The shop could not start'));
    expect(failure).toEqual([
      `The shop could not start: no answer from the database at mongodb://shop:****@127.0.0.1:${port}/shop within 1000 ms: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
    expect(output).not.toContain('secret');
  });

  test('with retries: every attempt is logged, with a growing pause, before giving up', async () => {
    const port = await closedPort();
    const server = spawnServer({
      MONGODB_URI: `mongodb://shop:secret@127.0.0.1:${port}/shop`,
      DB_CONNECT_TIMEOUT_MS: '300',
      DB_CONNECT_RETRIES: '2',
      DB_CONNECT_RETRY_DELAY_MS: '200',
    });
    expect(await server.exited).toBe(1);
    const output = server.output();
    expect(output).toMatch(/attempt 1 of 3: .*next attempt in 200 ms/);
    expect(output).toMatch(/attempt 2 of 3: .*next attempt in 400 ms/);
    expect(output).toMatch(/The shop could not start: no answer .* within 300 ms \(3 attempts\)/);
    expect(output).not.toContain('secret');
  });

  test('with retries: a database that comes up meanwhile is used', async () => {
    const port = await closedPort();
    const dbName = uniqueDbName('late_db');
    const server = spawnServer({
      MONGODB_URI: `mongodb://127.0.0.1:${port}/${dbName}`,
      DB_CONNECT_TIMEOUT_MS: '500',
      DB_CONNECT_RETRIES: '20',
      DB_CONNECT_RETRY_DELAY_MS: '200',
    });
    await waitForOutput(server, /attempt 1 of 21/);
    const engine = await startEngineProcess({ port });
    children.push(engine);
    const [, shopPort] = await waitForOutput(server, /shop listening on http:\/\/localhost:(\d+)/);
    const health = await fetch(`http://127.0.0.1:${shopPort}/readyz`);
    expect(health.status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
  });
});

describe('a port already taken', () => {
  /** Another HTTP server, answering every request, on a port of its own. */
  async function squatter(): Promise<{ port: number; close: () => Promise<void> }> {
    const server = http.createServer((_req, res) => res.end('not the shop'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  test('the shop says so in one line and exits 1, with no stack trace', async () => {
    const taken = await squatter();
    try {
      const server = spawnServer({ PORT: String(taken.port), MONGODB_URI: `${testServerUri()}` });
      expect(await server.exited).toBe(1);
      const output = server.output();
      expect(output).toContain(`port ${taken.port} is in use (EADDRINUSE): set PORT to a free port`);
      expect(output).not.toMatch(/TypeError|\n\s+at /);
    } finally {
      await taken.close();
    }
  });

  test('startShopProcess never hands back a port that another process answers on', async () => {
    const taken = await squatter();
    try {
      // Another server answering on the port is not the shop: the wait goes on until the shop exits.
      await expect(
        startShopProcess({
          PORT: String(taken.port),
          NODE_ENV: 'test',
          SESSION_SECRET: TEST_SECRET,
          MONGODB_URI: testServerUri(),
        }),
      ).rejects.toThrow(/exited \(1\) before answering[\s\S]*EADDRINUSE/);
      expect(listensOn(process.pid, taken.port)).toBe(true);
    } finally {
      await taken.close();
    }
  });
});

describe('graceful shutdown', () => {
  let dbName: string;
  let client: MongoClient;

  beforeAll(async () => {
    client = await MongoClient.connect(testServerUri());
  });

  afterAll(async () => {
    await client.close();
  });

  beforeEach(() => {
    dbName = uniqueDbName('shutdown');
  });

  afterEach(async () => {
    await dropDatabase(dbName);
  });

  function databaseUri(): string {
    const url = new URL(testServerUri());
    url.pathname = `/${dbName}`;
    return url.toString();
  }

  /** A shopper with a product to add, logged in to the server over HTTP. */
  async function loggedInShopper(baseUrl: string): Promise<{ shopper: ShopClient; productId: string }> {
    const productId = new ObjectId();
    await client.db(dbName).collection('products').insertOne({
      _id: productId,
      title: 'Slow Tea',
      price: 2,
      description: 'x',
      imageUrl: '',
      userId: new ObjectId(),
      createdAt: new Date(),
    });
    const shopper = new ShopClient(baseUrl);
    await shopper.get('/signup');
    const email = `late-${Date.now()}@example.com`;
    const password = 'correct horse battery';
    expect((await shopper.postForm('/signup', { email, password, confirmPassword: password })).status).toBe(302);
    await shopper.get('/login');
    expect((await shopper.postForm('/login', { email, password })).location).toBe('/');
    await shopper.get('/');
    return { shopper, productId: productId.toHexString() };
  }

  /**
   * POST /cart whose body arrives in two parts: the request is in flight in between. Over a
   * keep-alive connection, which the server must close itself once the response is sent.
   */
  function slowAddToCart(baseUrl: string, shopper: ShopClient, productId: string) {
    const body = new URLSearchParams({ _csrf: shopper.csrfToken ?? '', productId }).toString();
    const half = Math.floor(body.length / 2);
    const req = http.request(new URL('/cart', baseUrl), {
      method: 'POST',
      agent: new http.Agent({ keepAlive: true }),
      headers: {
        cookie: shopper.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
      },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', (res) => {
        res.resume();
        res.once('end', () => resolve(res));
      });
      req.once('error', reject);
    });
    req.write(body.slice(0, half));
    req.flushHeaders();
    return { finish: () => req.end(body.slice(half)), response };
  }

  async function cartQuantity(): Promise<number> {
    const user = await client.db(dbName).collection('users').findOne({});
    return (user?.cart.items as Array<{ quantity: number }>).reduce((sum, item) => sum + item.quantity, 0);
  }

  test('SIGTERM: no new connections, the request in flight completes, connections closed, exit 0', async () => {
    const server = await startShopProcess({
      NODE_ENV: 'test',
      SESSION_SECRET: TEST_SECRET,
      MONGODB_URI: databaseUri(),
    });
    children.push(server);
    const { shopper, productId } = await loggedInShopper(server.url);
    const slow = slowAddToCart(server.url, shopper, productId);
    // Time for the headers and the first half of the body to reach the server.
    await new Promise((resolve) => setTimeout(resolve, 300));

    server.child.kill('SIGTERM');
    await waitForOutput(server, /SIGTERM: shutting down/);
    // The listening socket is closed: a new connection is refused.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();

    slow.finish();
    const response = await slow.response;
    const answered = Date.now();
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/cart');
    expect(await server.exited).toBe(0);
    // Not held open until the keep-alive connection's idle timeout (5 s) ran out.
    expect(Date.now() - answered).toBeLessThan(4000);
    expect(server.output()).toContain('"msg":"stopped"');
    // Closing its own connections is not an outage.
    expect(server.output()).not.toContain('database connection lost');
    expect(await cartQuantity()).toBe(1);
  });

  test('SHUTDOWN_TIMEOUT_MS bounds the wait for a request that never ends: exit 1', async () => {
    const server = await startShopProcess({
      NODE_ENV: 'test',
      SESSION_SECRET: TEST_SECRET,
      MONGODB_URI: databaseUri(),
      SHUTDOWN_TIMEOUT_MS: '1000',
    });
    children.push(server);
    const { shopper, productId } = await loggedInShopper(server.url);
    const stuck = slowAddToCart(server.url, shopper, productId);
    stuck.response.catch(() => {}); // the connection ends with the process
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopping = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(1);
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(server.output()).toContain('shutdown took longer than 1000 ms');
  });
});
