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
