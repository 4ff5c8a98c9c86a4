import request from 'supertest';
import { commandsDuring } from '../helpers/commands';
import {
  addProduct,
  csrfTokenIn,
  newShopper,
  sessionCookieOf,
  sessionIdSetBy,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';

/*
 * The round-trip budget of issue 6, counted on both database clients: what each kind of request
 * may send to MongoDB. Every extra command here is paid on every page view in production.
 */

let shop: TestShop;
let owner: Shopper;
let teapotId: string;
let mugId: string;

beforeAll(async () => {
  shop = await startTestShop('round_trips');
  owner = await newShopper(shop.app, 'owner');
  teapotId = await addProduct(owner, { title: 'Teapot', price: '24.50' });
  mugId = await addProduct(owner, { title: 'Mug', price: '7.00' });
});

afterAll(async () => {
  await shop.close();
});

test('an anonymous page view sends no session command and reads no user', async () => {
  for (const page of ['/', '/products', `/products/${teapotId}`]) {
    const recorded = await commandsDuring(shop.store, () => request(shop.app).get(page).expect(200));
    expect(recorded.on('sessions')).toEqual([]);
    expect(recorded.on('users')).toEqual([]);
  }
});

test('product pages read the database once per cache time, whoever views them', async () => {
  // Not 0: lru-cache takes a start time of 0 for "no time kept".
  let clock = 1_000_000;
  const catalogCache = { cacheMs: 1000, now: () => clock };
  const cached = await shop.startAnotherInstance({ catalogCache });
  const cookie = await sessionCookieOf((await newShopper(shop.app, 'window-shopper')).agent);
  const productCommandsOf = async (page: string, loggedIn = false): Promise<string[]> => {
    const recorded = await commandsDuring(cached.store, () =>
      request(cached.app)
        .get(page)
        .set('Cookie', loggedIn ? cookie : '')
        .expect(200),
    );
    return recorded.on('products');
  };

  // A list page counts the products (the collection's own count, for the page links) less the
  // hidden ones (an aggregate over the sparse index of the few hidden products), and finds one page.
  const listPage = ['count products', 'aggregate products', 'find products'];
  expect(await productCommandsOf('/')).toEqual(listPage);
  // The index and the product list show the same first page; a logged-in view reads no product either.
  expect(await productCommandsOf('/products')).toEqual([]);
  expect(await productCommandsOf('/products', true)).toEqual([]);
  expect(await productCommandsOf(`/products/${teapotId}`)).toEqual(['find products']);
  expect(await productCommandsOf(`/products/${teapotId}`, true)).toEqual([]);

  clock += 999;
  expect(await productCommandsOf('/products')).toEqual([]);
  clock += 2;
  expect(await productCommandsOf('/products')).toEqual(listPage);
  expect(await productCommandsOf(`/products/${teapotId}`)).toEqual(['find products']);
});

test('a logged-in product list or detail page: one read for the session and its user, no session write', async () => {
  const shopper = await newShopper(shop.app, 'browser');
  for (const page of ['/products', `/products/${teapotId}`]) {
    const recorded = await commandsDuring(shop.store, () => shopper.agent.get(page).expect(200));
    expect(recorded.on('sessions')).toEqual(['aggregate sessions']);
    expect(recorded.on('users')).toEqual([]);
  }
});

test('the login page writes no session; login inserts the new one once', async () => {
  const shopper = await newShopper(shop.app, 'returning');
  const agent = request.agent(shop.app);
  const pageView = await commandsDuring(shop.store, () => agent.get('/login').expect(200));
  expect(pageView.on('sessions')).toEqual([]);
  const loginPage = await agent.get('/login').expect(200);
  expect(sessionIdSetBy(loginPage)).toBeUndefined();

  let newSessionId: string | undefined;
  const recorded = await commandsDuring(shop.store, async () => {
    const response = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfTokenIn(loginPage.text), email: shopper.email, password: shopper.password })
      .expect(302);
    newSessionId = sessionIdSetBy(response);
  });

  expect(newSessionId).toBeDefined();
  // No visitor session to read or delete: the new session is inserted, once, and nothing else.
  expect(recorded.on('sessions')).toEqual(['insert sessions']);
  const [insert] = recorded.commands.filter((c) => c.collection === 'sessions');
  const documents = insert.command.documents as Array<{ _id: string }>;
  expect(documents.map((d) => d._id)).toEqual([newSessionId]);
  expect(recorded.on('users')).toEqual(['find users']);
});

test('add-to-cart is one user update and no session write, for a new item and for one already in the cart', async () => {
  const shopper = await newShopper(shop.app, 'adder');
  const addToCart = (productId: string) =>
    commandsDuring(shop.store, () =>
      shopper.agent
        .post('/cart')
        .type('form')
        .send({ _csrf: shopper.csrf, productId })
        .expect(302)
        .expect('Location', '/cart'),
    );

  for (const productId of [teapotId, teapotId, mugId]) {
    const recorded = await addToCart(productId);
    // The one read of every logged-in request (the session with its user), then exactly one update.
    expect(recorded.on('sessions')).toEqual(['aggregate sessions']);
    expect(recorded.on('users')).toEqual(['update users']);
  }
  const cart = await shopper.agent.get('/cart').expect(200);
  expect(cart.text).toContain('Teapot');
  expect(cart.text).toContain('Mug');
});

test('add-to-cart back to the page it was on: the same one update, the notice in a cookie, not the session', async () => {
  const shopper = await newShopper(shop.app, 'returning-adder');
  let setCookies: string[] = [];
  const recorded = await commandsDuring(shop.store, async () => {
    const response = await shopper.agent
      .post('/cart')
      .type('form')
      .send({ _csrf: shopper.csrf, productId: mugId, returnTo: '/products?page=1' })
      .expect(302)
      .expect('Location', '/products?page=1');
    setCookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  });
  expect(recorded.on('sessions')).toEqual(['aggregate sessions']);
  expect(recorded.on('users')).toEqual(['update users']);
  // "Added Mug to your cart." travels in the signed flash cookie (the session cookie is only rolled).
  const flashCookie = setCookies.find((cookie) => cookie.startsWith('flash='));
  expect(decodeURIComponent(flashCookie ?? '')).toContain('Added Mug to your cart.');
});

test('the cart count in the navigation comes from the User already loaded: no read of its own', async () => {
  const shopper = await newShopper(shop.app, 'counted');
  for (const productId of [teapotId, mugId, mugId]) {
    await shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId }).expect(302);
  }
  for (const page of ['/', '/products', `/products/${teapotId}`, '/orders']) {
    let html = '';
    const recorded = await commandsDuring(shop.store, async () => {
      html = (await shopper.agent.get(page).expect(200)).text;
    });
    expect(html).toContain('<span class="main-nav__cart-count">3<span class="visually-hidden"> items</span></span>');
    expect({ page, sessions: recorded.on('sessions'), users: recorded.on('users') }).toEqual({
      page,
      sessions: ['aggregate sessions'],
      users: [],
    });
  }
});

test('the throttled touch writes the session at most once per interval', async () => {
  const shopper = await newShopper(shop.app, 'toucher');
  const intervalMs = 60_000;
  let clock = Date.now();
  const counted = await shop.startAnotherInstance({ touchIntervalMs: intervalMs, now: () => clock });
  const cookie = await sessionCookieOf(shopper.agent);

  const sessionWritesOfOneView = async (): Promise<number> => {
    const recorded = await commandsDuring(counted.store, () =>
      request(counted.app).get('/products').set('Cookie', cookie).expect(200),
    );
    expect(recorded.on('sessions').filter((c) => c === 'aggregate sessions')).toHaveLength(1);
    return recorded.on('sessions').filter((c) => c !== 'aggregate sessions').length;
  };

  // Just after login: nothing to write.
  expect(await sessionWritesOfOneView()).toBe(0);
  // An interval later, the first view writes the new expiry, the next ones don't.
  clock += intervalMs + 1_000;
  expect([await sessionWritesOfOneView(), await sessionWritesOfOneView(), await sessionWritesOfOneView()]).toEqual([
    1, 0, 0,
  ]);
  // Half an interval after that write: still nothing; a whole one: one write again.
  clock += intervalMs / 2;
  expect(await sessionWritesOfOneView()).toBe(0);
  clock += intervalMs / 2;
  expect([await sessionWritesOfOneView(), await sessionWritesOfOneView()]).toEqual([1, 0]);
});
