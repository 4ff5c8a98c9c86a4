import request from 'supertest';
import { csrfTokenFor, newShopper, startTestShop, type TestShop } from '../helpers/shop';

// After login the shopper goes back to the page that asked for it, but only ever to this site.

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('return_to');
});

afterAll(async () => {
  await shop.close();
});

async function logInWithReturnTo(returnTo: string): Promise<string | undefined> {
  const { email, password } = await newShopper(shop.app, 'returning');
  const agent = request.agent(shop.app);
  const login = await agent.get(`/login?returnTo=${encodeURIComponent(returnTo)}`);
  const csrf = await csrfTokenFor(agent, '/login');
  expect(login.status).toBe(200);
  const response = await agent.post('/login').type('form').send({ _csrf: csrf, email, password, returnTo });
  expect(response.status).toBe(302);
  return response.headers.location;
}

test('a page that needs login sends the visitor to the login form with the way back', async () => {
  const response = await request(shop.app).get('/orders');
  expect(response.headers.location).toBe('/login?returnTo=%2Forders');
  const form = await request(shop.app).get(response.headers.location);
  expect(form.text).toContain('name="returnTo" value="/orders"');
});

test('after login a local return-to path is followed', async () => {
  expect(await logInWithReturnTo('/orders')).toBe('/orders');
});

test.each(['https://evil.example/', '//evil.example/', '/\\evil.example'])(
  'an outside address (%s) leads home instead',
  async (target) => {
    expect(await logInWithReturnTo(target)).toBe('/');
  },
);
