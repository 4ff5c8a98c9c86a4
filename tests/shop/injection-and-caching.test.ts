import request from 'supertest';
import { csrfTokenFor, newShopper, sessionsCollection, startTestShop, type TestShop } from '../helpers/shop';

// Input that tries to become a query operator, and pages that must not outlive the visit in caches.

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('injection');
});

afterAll(async () => {
  await shop.close();
});

test('an operator object as the email logs no one in and causes no 500, in JSON or bracketed form fields', async () => {
  await newShopper(shop.app, 'target');
  const agent = request.agent(shop.app);
  const csrf = await csrfTokenFor(agent, '/login');

  const asJson = await agent
    .post('/login')
    .set('x-csrf-token', csrf)
    .send({ email: { $gt: '' }, password: { $gt: '' } });
  const asBrackets = await agent
    .post('/login')
    .type('form')
    .send(`_csrf=${encodeURIComponent(csrf)}&email[$gt]=&password[$gt]=`);

  for (const response of [asJson, asBrackets]) {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.location).toBeUndefined();
  }
  const loggedIn = await sessionsCollection().countDocuments({
    'session.isLoggedIn': true,
    'session.user.email': /target/,
  });
  expect(loggedIn).toBe(1); // only the shopper's own login from newShopper
  expect((await agent.get('/cart')).status).toBe(302);
});

test("a logged-in shopper's pages are sent with Cache-Control: no-store; anonymous product pages are not", async () => {
  const shopper = await newShopper(shop.app, 'cache');
  for (const page of ['/', '/products', '/cart', '/orders']) {
    expect((await shopper.agent.get(page)).headers['cache-control']).toBe('no-store');
  }
  expect((await request(shop.app).get('/products')).headers['cache-control']).not.toBe('no-store');
});

test('responses do not announce Express', async () => {
  expect((await request(shop.app).get('/')).headers['x-powered-by']).toBeUndefined();
});
