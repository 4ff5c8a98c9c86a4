import request from 'supertest';
import { createApp } from '../../src/app';
import { capturingLogger, LEVEL } from '../helpers/logs';
import { newShopper, startTestShop, type TestShop } from '../helpers/shop';

// What every request still gets on the lean path (issue 25): compression when asked, one log line,
// and a visitor's request with no session work at all.

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('request_path');
});

afterAll(async () => {
  await shop.close();
});

test('a page is compressed for a client that asks, and sent as it is to one that does not', async () => {
  const asked = await request(shop.app).get('/products').set('Accept-Encoding', 'gzip').expect(200);
  expect(asked.headers['content-encoding']).toBe('gzip');
  expect(asked.headers.vary).toMatch(/Accept-Encoding/);
  const plain = await request(shop.app).get('/products').set('Accept-Encoding', '').expect(200);
  expect(plain.headers['content-encoding']).toBeUndefined();
  expect(plain.text).toBe(asked.text);
});

test('one log line per request, once its response is done: id, method, URL, status and time', async () => {
  const { logger, lines } = capturingLogger();
  const app = createApp(shop.config, { sessionStore: shop.store, logger });
  await request(app).get('/products?page=1').expect(200);
  await request(app).get('/no-such-page').expect(404);
  const requests = lines.filter((line) => line.msg === 'request completed');
  expect(requests).toHaveLength(2);
  expect(requests[0]).toMatchObject({
    level: LEVEL.info,
    req: { method: 'GET', url: '/products?page=1' },
    res: { statusCode: 200 },
  });
  expect(requests[1]).toMatchObject({ req: { url: '/no-such-page' }, res: { statusCode: 404 } });
  const [first, second] = requests.map((line) => (line.req as { id: string }).id);
  expect(first).toMatch(/^[0-9a-f-]{36}$/);
  expect(second).not.toBe(first);
  expect(typeof requests[0]?.responseTime).toBe('number');
  // Never a header: the session cookie must not reach a log.
  expect(JSON.stringify(lines)).not.toMatch(/cookie/i);
});

test('a visitor without a session cookie gets no session: no cookie set, none stored, a login still works', async () => {
  const page = await request(shop.app).get('/products').expect(200);
  expect(String(page.headers['set-cookie'] ?? '')).not.toMatch(/sid=/);
  // The login begins the session it needs (LoginFlow), for a browser that had none before.
  const shopper = await newShopper(shop.app, 'lean');
  const cart = await shopper.agent.get('/cart').expect(200);
  expect(cart.text).toContain(shopper.email);
});

test('a form sent to a path no route takes is still refused without its token, and read with it', async () => {
  await request(shop.app).post('/no-such-form').type('form').send({ x: '1' }).expect(403);
  const shopper = await newShopper(shop.app, 'unmatched');
  await shopper.agent.post('/no-such-form').type('form').send({ _csrf: shopper.csrf }).expect(404);
});
