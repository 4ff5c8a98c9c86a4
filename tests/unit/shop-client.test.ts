import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ShopClient } from '../../tools/shop-client';

/*
 * The toolbox's browser (tools/shop-client.ts), against a stub server that answers as the shop
 * does in production behind a TLS proxy: what the bench, the load test and the server-process
 * tests rely on when they talk to a real shop.
 */

let server: http.Server;
let baseUrl: string;
const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
const answeredOn = new WeakSet<object>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url === '/login' && req.method === 'GET') {
        res.setHeader('set-cookie', '__Host-sid=visitor; Path=/; HttpOnly; Secure; SameSite=Lax');
        res.end('<form><input type="hidden" name="_csrf" value="token-1"></form>');
      } else if (req.url === '/login') {
        res.writeHead(302, {
          location: '/',
          'set-cookie': '__Host-sid=shopper; Path=/; HttpOnly; Secure; SameSite=Lax',
        });
        res.end();
      } else if (req.url === '/logout') {
        res.writeHead(302, {
          location: '/',
          'set-cookie': '__Host-sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
        });
        res.end();
      } else if (req.url === '/closed-on-reuse') {
        // The first request on a connection is answered; a second one on the same connection finds it
        // closed, as when a proxy being reloaded closes its kept-alive connections.
        if (answeredOn.has(req.socket)) req.socket.destroy();
        else {
          answeredOn.add(req.socket);
          res.end('answered');
        }
      } else if (req.url === '/reset') {
        req.socket.destroy();
      } else res.end('a page without a form');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('behind the TLS proxy: the __Host- cookie is kept, sent back, replaced and cleared; forms carry the token', async () => {
  const shopper = new ShopClient(baseUrl, { behindHttpsProxy: true });
  try {
    const page = await shopper.get('/login');
    expect(page.status).toBe(200);
    expect(page.ms).toBeGreaterThan(0);
    expect(shopper.csrfToken).toBe('token-1');
    expect(shopper.cookie('__Host-sid')).toBe('visitor');

    // Not followed: the caller sees the redirect.
    const login = await shopper.postForm('/login', { email: 'ann@example.com' });
    expect([login.status, login.location]).toEqual([302, '/']);
    expect(seen.at(-1)!.headers['x-forwarded-proto']).toBe('https');
    expect(seen.at(-1)!.headers.cookie).toBe('__Host-sid=visitor');
    expect(new URLSearchParams(seen.at(-1)!.body).get('_csrf')).toBe('token-1');
    expect(shopper.cookieHeader()).toBe('__Host-sid=shopper');

    // A page without a form leaves the session's token as it was.
    await shopper.get('/products');
    expect(shopper.csrfToken).toBe('token-1');
    expect(seen.at(-1)!.headers.cookie).toBe('__Host-sid=shopper');

    await shopper.postForm('/logout');
    expect(shopper.cookieHeader()).toBe('');
  } finally {
    shopper.close();
  }
});

test('each client has a cookie jar of its own, also when they share connections', async () => {
  const agent = new http.Agent({ keepAlive: true });
  const first = new ShopClient(baseUrl, { behindHttpsProxy: true, agent });
  const second = new ShopClient(baseUrl, { behindHttpsProxy: true, agent });
  try {
    await first.get('/login');
    await second.get('/products');
    expect(seen.at(-1)!.headers.cookie).toBeUndefined();
    expect(first.cookieHeader()).toBe('__Host-sid=visitor');
  } finally {
    agent.destroy();
  }
});

test('a kept-alive connection closed as a request goes out: sent again once on a new one, as a browser does', async () => {
  const shopper = new ShopClient(baseUrl);
  try {
    const before = seen.filter((request) => request.url === '/closed-on-reuse').length;
    expect((await shopper.get('/closed-on-reuse')).body).toBe('answered');
    expect((await shopper.postForm('/closed-on-reuse', { a: '1' })).body).toBe('answered');
    // The first request, the one that met the closed connection, and the one sent again.
    expect(seen.filter((request) => request.url === '/closed-on-reuse').length - before).toBe(3);
    // On a connection of its own, a reset is an error: nothing is sent again.
    await expect(new ShopClient(baseUrl).get('/reset')).rejects.toThrow(/socket hang up|ECONNRESET/);
  } finally {
    shopper.close();
  }
});
