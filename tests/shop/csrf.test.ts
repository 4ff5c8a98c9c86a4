import request from 'supertest';
import { User } from '../../src/user.model';
import { Product } from '../../src/catalog/product.model';
import { declaredRoutes } from '../../src/http/area-router';
import { addProduct, csrfTokenFor, csrfTokenIn, newShopper, startTestShop, type TestShop } from '../helpers/shop';

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('csrf');
});

afterAll(async () => {
  await shop.close();
});

test('a POST without a token, or with a wrong one, gets the 403 page and changes nothing', async () => {
  const shopper = await newShopper(shop.app, 'victim');
  const productId = await addProduct(shopper, { title: 'Guarded', price: '10' });

  const forged = [
    shopper.agent.post('/cart').type('form').send({ productId }),
    shopper.agent.post('/cart').type('form').send({ productId, _csrf: 'not-the-token' }),
    shopper.agent.post('/cart').set('x-csrf-token', 'not-the-token').type('form').send({ productId }),
    shopper.agent.post('/admin/delete-product').type('form').send({ productId }),
    shopper.agent
      .post('/admin/edit-product')
      .type('form')
      .send({ productId, title: 'Changed', price: '1', description: 'x' }),
    shopper.agent.post('/create-order').type('form').send({}),
  ];
  for (const response of await Promise.all(forged)) {
    expect(response.status).toBe(403);
    expect(response.text).toContain('Request refused');
  }

  const user = await User.findOne({ email: shopper.email }).lean();
  expect(user?.cart.items).toEqual([]);
  expect(await Product.findById(productId).lean()).toMatchObject({ title: 'Guarded', price: 10 });

  // Logout without a token does not log out.
  await shopper.agent.post('/logout').type('form').send({}).expect(403);
  await shopper.agent.get('/cart').expect(200);
});

test('the token is accepted from the x-csrf-token header', async () => {
  const shopper = await newShopper(shop.app, 'script');
  const productId = await addProduct(shopper, { title: 'Scripted', price: '2' });
  await shopper.agent.post('/cart').set('x-csrf-token', shopper.csrf).send({ productId }).expect(302);
  const user = await User.findOne({ email: shopper.email }).lean();
  expect(user?.cart.items).toHaveLength(1);
});

test("another session's token is refused", async () => {
  const victim = await newShopper(shop.app, 'victim2');
  const attacker = await newShopper(shop.app, 'attacker');
  const productId = await addProduct(attacker, { title: 'Bait', price: '3' });
  await victim.agent.post('/cart').type('form').send({ productId, _csrf: attacker.csrf }).expect(403);
  expect((await User.findOne({ email: victim.email }).lean())?.cart.items).toEqual([]);
});

test('login and signup need a token too', async () => {
  const agent = request.agent(shop.app);
  await agent.get('/login').expect(200);
  await agent.post('/login').type('form').send({ email: 'a@example.com', password: 'whatever1' }).expect(403);
  await agent
    .post('/signup')
    .type('form')
    .send({ email: 'b@example.com', password: 'whatever1', confirmPassword: 'whatever1' })
    .expect(403);
  expect(await User.exists({ email: 'b@example.com' })).toBeNull();
  const _csrf = await csrfTokenFor(agent, '/signup');
  await agent
    .post('/signup')
    .type('form')
    .send({ _csrf, email: 'b@example.com', password: 'whatever1', confirmPassword: 'whatever1' })
    .expect(302);
});

test('no GET request changes state: the state-changing paths answer GET with 404 and change nothing', async () => {
  const shopper = await newShopper(shop.app, 'get-only');
  const productId = await addProduct(shopper, { title: 'Untouchable', price: '3' });
  await shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId }).expect(302);

  for (const path of [
    '/logout',
    `/cart-delete-item?productId=${productId}`,
    '/create-order',
    `/admin/delete-product?productId=${productId}`,
    '/account/logout-everywhere',
  ]) {
    await shopper.agent.get(path).expect(404);
  }
  await shopper.agent.get('/cart').expect(200);
  const user = await User.findOne({ email: shopper.email }).lean();
  expect(user?.cart.items).toHaveLength(1);
  expect(await Product.exists({ _id: productId })).toBeTruthy();
});

describe("a visitor's forms: no session before login", () => {
  test('200 cookieless visits to the login and signup pages leave the sessions collection unchanged', async () => {
    const sessions = () => shop.store.sessions.countDocuments({});
    const before = await sessions();
    const visits = [];
    for (let n = 0; n < 100; n++) visits.push(request(shop.app).get('/login'), request(shop.app).get('/signup'));
    for (const response of await Promise.all(visits)) {
      expect(response.status).toBe(200);
      // The form's token comes with its cookie, and no session cookie is set.
      expect(String(response.headers['set-cookie'])).toMatch(/^csrf=/);
      expect(String(response.headers['set-cookie'])).not.toContain('sid=');
    }
    expect(await sessions()).toBe(before);
  });

  test.each(['/login', '/signup'])('%s without a valid double-submit token is refused with 403', async (path) => {
    const email = `refused-${Date.now()}@example.com`;
    const fields = { email, password: 'a good password', confirmPassword: 'a good password' };
    const page = await request(shop.app).get(path).expect(200);
    const token = csrfTokenIn(page.text);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    const other = await request(shop.app).get(path).expect(200);
    const otherCookie = String(other.headers['set-cookie']).split(';')[0];
    const attempts = [
      // No cookie, no token; a token without its cookie; a cookie without the token; a wrong token;
      // another visit's cookie with this token.
      request(shop.app).post(path).type('form').send(fields),
      request(shop.app)
        .post(path)
        .type('form')
        .send({ ...fields, _csrf: token }),
      request(shop.app).post(path).set('Cookie', cookie).type('form').send(fields),
      request(shop.app)
        .post(path)
        .set('Cookie', cookie)
        .type('form')
        .send({ ...fields, _csrf: 'x'.repeat(64) }),
      request(shop.app)
        .post(path)
        .set('Cookie', otherCookie)
        .type('form')
        .send({ ...fields, _csrf: token }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(403);
      expect(response.text).toContain('Request refused');
    }
    expect(await User.countDocuments({ email })).toBe(0);
    // With the page's own cookie and token, the same form goes through.
    const accepted = await request(shop.app)
      .post(path)
      .set('Cookie', cookie)
      .type('form')
      .send({ ...fields, _csrf: token });
    expect(accepted.status).not.toBe(403);
  });
});

test("the account's forms refuse a POST without the session's token", async () => {
  const shopper = await newShopper(shop.app, 'account-forms');
  for (const path of [
    '/account/verify-email',
    '/account/email',
    '/account/sessions/revoke',
    '/account/delete',
    '/account/password',
    '/account/logout-everywhere',
  ]) {
    const response = await shopper.agent
      .post(path)
      .type('form')
      .send({ currentPassword: shopper.password, email: 'x@example.com', session: '0'.repeat(32) });
    expect({ path, status: response.status }).toEqual({ path, status: 403 });
  }
  expect(await User.exists({ email: shopper.email })).not.toBeNull();
  await shopper.agent.get('/cart').expect(200);
});

/*
 * Every form the areas declare, found in the app itself (http/area-router.ts records each route as
 * declared, with its whole path), not in a list kept here: a form added without its check fails
 * these tests. Together with tests/unit/architecture.test.ts (routes are declared through the
 * area router only), no POST can reach a handler unchecked.
 */
describe('every form of the app is checked before its route does anything', () => {
  const forms = () => declaredRoutes(shop.app).filter((route) => route.method === 'POST');
  /** A path as a client sends it: each parameter filled in (an ObjectId for an id). */
  const sent = (path: string) =>
    path.replace(/:(\w+)/g, (_, name: string) => (name.endsWith('Id') ? 'a'.repeat(24) : 'x'));
  /** The fields a form could want, so that only the token is missing. */
  const fields = {
    email: 'forged@example.com',
    password: 'a good password',
    confirmPassword: 'a good password',
    currentPassword: 'a good password',
    productId: 'a'.repeat(24),
    quantity: '1',
    session: '0'.repeat(32),
    title: 'Forged',
    price: '1',
    description: 'x',
  };

  test('the app declares its forms: the list is read from it', () => {
    const paths = forms().map((route) => route.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/cart', '/login', '/logout', '/account/delete', '/admin/add-product', '/new-password']),
    );
    expect(paths.length).toBeGreaterThanOrEqual(15);
  });

  test('each, without a token, from a visitor or from a logged-in shopper: 403, and nothing changes', async () => {
    const shopper = await newShopper(shop.app, 'every-form');
    const productId = await addProduct(shopper, { title: 'Every Form', price: '4' });
    const users = await User.countDocuments();
    for (const { path } of forms()) {
      const asVisitor = await request(shop.app).post(sent(path)).type('form').send(fields);
      const asShopper = await shopper.agent
        .post(sent(path))
        .type('form')
        .send({ ...fields, productId });
      expect({ path, visitor: asVisitor.status, shopper: asShopper.status }).toEqual({
        path,
        visitor: 403,
        shopper: 403,
      });
    }
    expect(await User.countDocuments()).toBe(users);
    expect(await Product.findById(productId).lean()).toMatchObject({ title: 'Every Form', price: 4 });
    expect((await User.findOne({ email: shopper.email }).lean())?.cart.items).toEqual([]);
    await shopper.agent.get('/cart').expect(200);
  });

  test('only the product forms read a multipart body before their check; every other refuses it unread', async () => {
    const readFirst = forms().filter((route) => route.check !== undefined && route.check.afterGuard.length > 0);
    expect(readFirst.map((route) => route.path).sort()).toEqual(['/admin/add-product', '/admin/edit-product']);

    const shopper = await newShopper(shop.app, 'multipart-everywhere');
    const visitorToken = await csrfTokenFor(shopper.agent, '/login');
    for (const { path } of forms().filter((route) => !readFirst.includes(route))) {
      // The right token inside, whichever kind the form takes: never read, so never found.
      for (const token of [shopper.csrf, visitorToken]) {
        const response = await shopper.agent.post(sent(path)).field('_csrf', token).field('email', fields.email);
        expect({ path, status: response.status }).toEqual({ path, status: 403 });
      }
    }
    await shopper.agent.get('/cart').expect(200);
  });

  test('a request with a body where no route takes it: 403 without the token, the 404 page with it', async () => {
    const shopper = await newShopper(shop.app, 'no-route');
    type Client = Pick<ReturnType<typeof request>, 'post' | 'put' | 'patch' | 'delete'>;
    const attempts: Array<[string, (client: Client) => ReturnType<Client['post']>]> = [
      ['POST /no-such-form', (client) => client.post('/no-such-form')],
      ['POST /account/no-such-form', (client) => client.post('/account/no-such-form')],
      ['POST /admin/no-such-form', (client) => client.post('/admin/no-such-form')],
      ['POST /orders', (client) => client.post('/orders')],
      ['PUT /cart', (client) => client.put('/cart')],
      ['PATCH /admin/products', (client) => client.patch('/admin/products')],
      ['DELETE /account', (client) => client.delete('/account')],
    ];
    for (const [name, send] of attempts) {
      const visitor = await send(request(shop.app)).type('form').send({});
      const forged = await send(shopper.agent).type('form').send({});
      const genuine = await send(shopper.agent).type('form').send({ _csrf: shopper.csrf });
      expect({ name, statuses: [visitor.status, forged.status, genuine.status] }).toEqual({
        name,
        statuses: [403, 403, 404],
      });
    }
  });
});
