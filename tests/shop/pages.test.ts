import request from 'supertest';
import {
  addProduct,
  countAddToCartForms,
  newShopper,
  sessionsCollection,
  startTestShop,
  type TestShop,
} from '../helpers/shop';

let shop: TestShop;
let productId: string;

beforeAll(async () => {
  shop = await startTestShop('pages');
  const owner = await newShopper(shop.app, 'owner');
  productId = await addProduct(owner, { title: 'Teapot <b>bold</b>', price: '24.50' });
  await sessionsCollection().deleteMany({});
});

afterAll(async () => {
  await shop.close();
});

describe('anonymous visitors', () => {
  test('see no add-to-cart form on the index, the list or the detail page', async () => {
    for (const page of ['/', '/products', `/products/${productId}`]) {
      const response = await request(shop.app).get(page).expect(200);
      expect(response.text).toContain('Teapot');
      expect(countAddToCartForms(response.text)).toBe(0);
      expect(response.text).toContain('href="/login"');
      expect(response.text).not.toContain('action="/logout"');
    }
  });

  test('browsing the shop creates no session document and sets no cookie', async () => {
    for (const page of ['/', '/products', `/products/${productId}`, '/no-such-page']) {
      const response = await request(shop.app).get(page);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(await sessionsCollection().countDocuments({})).toBe(0);
  });

  test('are sent to the login page from the cart, orders and admin pages', async () => {
    for (const page of [
      '/cart',
      '/orders',
      '/admin/products',
      '/admin/add-product',
      `/admin/edit-product/${productId}`,
    ]) {
      const response = await request(shop.app).get(page);
      expect(response.status).toBe(302);
      expect(response.headers.location).toMatch(/^\/login(\?|$)/);
    }
  });
});

describe('logged-in shoppers', () => {
  test('see an add-to-cart form with the product id and a CSRF token on all three pages', async () => {
    const shopper = await newShopper(shop.app);
    for (const page of ['/', '/products', `/products/${productId}`]) {
      const response = await shopper.agent.get(page).expect(200);
      expect(countAddToCartForms(response.text)).toBe(1);
      expect(response.text).toContain(`name="productId" value="${productId}"`);
      expect(response.text).toContain(`name="_csrf" value="${shopper.csrf}"`);
      expect(response.text).toContain('action="/logout"');
      expect(response.text).toContain('href="/cart"');
      expect(response.text).not.toContain('href="/login"');
    }
  });
});

test('output is escaped and prices are formatted', async () => {
  const response = await request(shop.app).get(`/products/${productId}`).expect(200);
  expect(response.text).toContain('Teapot &lt;b&gt;bold&lt;/b&gt;');
  expect(response.text).not.toContain('<b>bold</b>');
  expect(response.text).toContain('$24.50');
  expect(response.text).toContain('/images/placeholder.svg');
});

test('unknown and malformed product ids and unknown routes are 404 pages', async () => {
  for (const page of [
    '/products/aaaaaaaaaaaa',
    '/products/000000000000000000000000',
    '/products/%7B%24gt%7D',
    '/nowhere',
  ]) {
    const response = await request(shop.app).get(page);
    expect(response.status).toBe(404);
    expect(response.text).toContain('Page not found');
  }
});

test('the pages have a CSP without inline script and no X-Powered-By', async () => {
  const response = await request(shop.app).get('/').expect(200);
  expect(response.headers['content-security-policy']).toContain("script-src 'self'");
  expect(response.headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(response.headers['x-powered-by']).toBeUndefined();
  expect(response.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
});

test('static files are served without touching the session', async () => {
  const response = await request(shop.app).get('/css/main.css').expect(200);
  expect(response.headers['content-type']).toContain('text/css');
  expect(response.headers['set-cookie']).toBeUndefined();
});
