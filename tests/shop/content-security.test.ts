import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { addProduct, newShopper, startTestShop, type Agent, type TestShop } from '../helpers/shop';

// No script runs but the shop's own files: a CSP without inline script, and views that escape every value.

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('csp');
});

afterAll(async () => {
  await shop.close();
});

function directives(header: string): Map<string, string[]> {
  return new Map(
    header
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name, values]),
  );
}

test('every page sends a Content-Security-Policy that forbids inline script and inline handlers', async () => {
  const response = await request(shop.app).get('/products').expect(200);
  const csp = directives(String(response.headers['content-security-policy']));
  expect(csp.get('script-src')).toEqual(["'self'"]);
  expect(csp.get('script-src-attr')).toEqual(["'none'"]);
  expect(csp.get('object-src')).toEqual(["'none'"]);
  expect(csp.get('frame-ancestors')).toEqual(["'self'"]);
  expect(csp.get('default-src')).toEqual(["'self'"]);
});

test('no page carries inline script, inline event handlers or javascript: links', async () => {
  const shopper = await newShopper(shop.app, 'csp');
  const productId = await addProduct(shopper, { title: 'Script-free lamp', price: '12.50' });
  const anonymous = request.agent(shop.app);
  const pages: Array<[Agent, string]> = [
    [anonymous, '/'],
    [anonymous, '/products'],
    [anonymous, `/products/${productId}`],
    [anonymous, '/login'],
    [anonymous, '/signup'],
    [anonymous, '/no-such-page'],
    [shopper.agent, '/'],
    [shopper.agent, '/cart'],
    [shopper.agent, '/orders'],
    [shopper.agent, '/account'],
    [shopper.agent, '/account/password'],
    [shopper.agent, '/admin/products'],
    [shopper.agent, '/admin/add-product'],
    [shopper.agent, `/admin/edit-product/${productId}`],
  ];
  for (const [agent, page] of pages) {
    const html = (await agent.get(page)).text;
    expect(html).toContain('</html>');
    expect({ page, inline: html.match(/<script(?![^>]*\ssrc=)[^>]*>/gi) }).toEqual({ page, inline: null });
    expect({ page, handlers: html.match(/<[^>]+\son[a-z]+\s*=/gi) }).toEqual({ page, handlers: null });
    expect({ page, links: html.match(/javascript:/gi) }).toEqual({ page, links: null });
  }
});

test('a product title with markup is shown as text, not run', async () => {
  const shopper = await newShopper(shop.app, 'markup');
  const title = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const productId = await addProduct(shopper, { title, price: '1.00' });
  for (const page of ['/products', `/products/${productId}`, '/admin/products']) {
    const html = (await shopper.agent.get(page).expect(200)).text;
    expect(html).not.toContain(title);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
  }
});

test('views print values only through escaped output (<%= %>); raw output (<%- %>) only includes partials', () => {
  const viewsDir = path.join(__dirname, '..', '..', 'views');
  const files = fs.readdirSync(viewsDir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ejs'));
  expect(files.length).toBeGreaterThan(10);
  for (const file of files) {
    const source = fs.readFileSync(path.join(viewsDir, file), 'utf8');
    const raw = source.match(/<%-(?!\s*include\()[^%]*%>/g);
    expect({ file, raw }).toEqual({ file, raw: null });
  }
});
