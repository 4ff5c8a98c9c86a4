import net from 'node:net';
import { startShopProcess, type ShopProcess } from '../../tools/processes';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';
import { TEST_SECRET } from '../helpers/shop';

/*
 * The shop's own HTTP timeouts, for when it is exposed without a proxy in front: a client that
 * sends half its headers, or dribbles its body, is cut off; an idle keep-alive connection is
 * closed after the configured time. A real shop process, with short timeouts so that the test
 * takes seconds, and raw sockets that behave as the slow clients do.
 */

jest.setTimeout(60_000);

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
/** How long a test waits for the shop to cut a connection: Node's defaults (60 s, 300 s) never would. */
const GIVE_UP_MS = 15_000;

const dbName = uniqueDbName('timeouts');
let shop: ShopProcess;
let port: number;

beforeAll(async () => {
  const url = new URL(testServerUri());
  url.pathname = `/${dbName}`;
  shop = await startShopProcess({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    MONGODB_URI: url.toString(),
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '7000',
  });
  port = Number(new URL(shop.url).port);
});

afterAll(async () => {
  await shop?.stop('SIGKILL');
  await dropDatabase(dbName);
});

interface SlowClient {
  socket: net.Socket;
  /** What the shop sent back so far. */
  received(): string;
  /** Resolves with the time from the connection to its end by the shop, or undefined after GIVE_UP_MS. */
  closedAfterMs: Promise<number | undefined>;
}

/** A raw connection to the shop that sends `first` at once. */
async function slowClient(first: string): Promise<SlowClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const started = Date.now();
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  // The shop may cut it while the client writes: that is what is expected.
  socket.on('error', () => {});
  const closedAfterMs = new Promise<number | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), GIVE_UP_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
  socket.write(first);
  return { socket, received: () => received, closedAfterMs };
}

/** Writes one byte every `everyMs` until the socket closes; returns how many it wrote. */
function dribble(socket: net.Socket, everyMs: number): () => number {
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || socket.writableEnded) clearInterval(timer);
    else socket.write('a', () => sent++);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
  return () => sent;
}

test('half the headers, then nothing: cut after HTTP_HEADERS_TIMEOUT_MS with a 408', async () => {
  const client = await slowClient('GET /products HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: half-');
  const closedAfter = await client.closedAfterMs;
  expect(closedAfter).toBeDefined();
  expect(closedAfter).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
  expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
});

test('a body dribbled a byte at a time: cut by HTTP_REQUEST_TIMEOUT_MS, long before it ends', async () => {
  const length = 10_000;
  const client = await slowClient(
    'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      `Content-Length: ${length}\r\n\r\nemail=`,
  );
  const sent = dribble(client.socket, 100);
  const closedAfter = await client.closedAfterMs;
  expect(closedAfter).toBeDefined();
  expect(closedAfter).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
  expect(sent()).toBeLessThan(length);
});

test('an anonymous multipart POST answered at once (302) is not held open while its body dribbles', async () => {
  const boundary = 'slowboundary';
  const client = await slowClient(
    'POST /admin/add-product HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 5000000\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n` +
      'Content-Type: image/png\r\n\r\n',
  );
  const sent = dribble(client.socket, 100);
  const closedAfter = await client.closedAfterMs;
  expect(client.received()).toMatch(/^HTTP\/1\.1 302 /);
  expect(closedAfter).toBeDefined();
  expect(sent()).toBeLessThan(5_000_000);
});

test('keep-alive: the idle timeout is HTTP_KEEP_ALIVE_TIMEOUT_MS, and the response says so', async () => {
  const response = await fetch(`${shop.url}/healthz`);
  expect(response.status).toBe(200);
  expect(response.headers.get('keep-alive')).toBe('timeout=7');
});
