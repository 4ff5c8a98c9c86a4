import http from 'node:http';
import net from 'node:net';
import { startShopProcess, type ChildHandle } from '../../tools/processes';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';
import { secondAddress } from '../helpers/second-address';
import { TEST_SECRET } from '../helpers/shop';

/*
 * Where `npm run dev` can be reached from: this machine only, unless HOST says otherwise; and the
 * development mailbox (/dev/mail, which shows every reset link) answers this machine only, even
 * then. Shown with real shop processes and a second, non-loopback address of this machine, from
 * which a client connects as another machine of the LAN would.
 */

jest.setTimeout(90_000);

const second = secondAddress();
if (!second) {
  console.warn(
    'listen-address tests skipped: this machine has no non-loopback IPv4 address and `ip address add` failed ' +
      '(not root?), so no client can connect from another address',
  );
}
const withSecondAddress = second ? describe : describe.skip;

const dbName = uniqueDbName('listen');
const children: ChildHandle[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop('SIGKILL')));
});

afterAll(async () => {
  second?.release();
  await dropDatabase(dbName);
});

/** `npm run dev` against the test server: development, its mailbox on, no demo data. */
async function startDevelopmentShop(env: Record<string, string> = {}) {
  const url = new URL(testServerUri());
  url.pathname = `/${dbName}`;
  const shop = await startShopProcess({
    NODE_ENV: 'development',
    SESSION_SECRET: TEST_SECRET,
    MONGODB_URI: url.toString(),
    ...env,
  });
  children.push(shop);
  return { shop, port: Number(new URL(shop.url).port) };
}

/** Whether a TCP connection to host:port, made from `localAddress`, is accepted. */
function connects(host: string, port: number, localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, localAddress });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** GET from `localAddress` to the same address: the server sees the client at `localAddress`. */
function getFrom(
  localAddress: string,
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: localAddress, localAddress, port, path, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

withSecondAddress(`from another address of this machine (${second?.address}, ${second?.source})`, () => {
  test('by default the shop listens on 127.0.0.1 only: the other address is refused', async () => {
    const { port } = await startDevelopmentShop();
    expect(await connects('127.0.0.1', port, '127.0.0.1')).toBe(true);
    expect(await connects(second!.address, port, second!.address)).toBe(false);
  });

  test('HOST=0.0.0.0: the shop answers there, but /dev/mail only this machine, whatever X-Forwarded-For says', async () => {
    // TRUST_PROXY=true believes any X-Forwarded-For: the mailbox must not.
    const { port } = await startDevelopmentShop({ HOST: '0.0.0.0', TRUST_PROXY: 'true' });
    const from = second!.address;
    expect((await getFrom(from, port, '/products')).status).toBe(200);
    for (const path of ['/dev/mail', '/dev/mail/', '/DEV/Mail', '/dev/mail/some-message-id']) {
      const refused = await getFrom(from, port, path, { 'X-Forwarded-For': '127.0.0.1' });
      expect(refused.status).toBe(404);
      expect(refused.body).not.toContain('Development mailbox');
    }
    const local = await getFrom('127.0.0.1', port, '/dev/mail');
    expect(local.status).toBe(200);
    expect(local.body).toContain('Development mailbox');
  });
});
