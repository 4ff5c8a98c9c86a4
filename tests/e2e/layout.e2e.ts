import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_LOGIN, seedDemoData } from '../../src/demo-data';
import { Product } from '../../src/catalog/product.model';
import { newShopper, startTestShop, type Shopper, type TestShop } from '../helpers/shop';
import { silentLogger } from '../../src/platform/logger';
import { SCREENSHOTS_DIR, launchChromium } from '../helpers/browser';

/*
 * Every main page, in a real browser at a phone's and a desktop's size: none is wider than a 360 px
 * screen, none has a serious accessibility fault by axe-core's rules, and each leaves a screenshot
 * in test-results/e2e/layout/ (the README's pictures come from there).
 */

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const LAYOUT_DIR = path.join(SCREENSHOTS_DIR, 'layout');

let shop: TestShop;
let server: Server;
let baseUrl: string;
let browser: Browser;
let shopper: Shopper;

beforeAll(async () => {
  shop = await startTestShop('e2e-layout');
  // The demo data, photos included: the screenshots show the shop as a first start does.
  await seedDemoData({ bcryptRounds: 4, logger: silentLogger });
  const products = await Product.find().sort({ _id: 1 }).limit(2).lean();
  shopper = await newShopper(shop.app, 'layout');
  for (const product of products) {
    await shopper.agent
      .post('/cart')
      .type('form')
      .send({ _csrf: shopper.csrf, productId: product._id.toHexString() })
      .expect(302);
  }
  server = shop.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  fs.mkdirSync(LAYOUT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await shop?.close();
});

const VISITOR_PAGES = ['/', '/products', '/products?q=tea', '/login', '/signup', '/reset'];
const SHOPPER_PAGES = [
  '/',
  '/products',
  '/cart',
  '/checkout',
  '/orders',
  '/account',
  '/account/sessions',
  '/account/two-factor',
  '/account/confirm',
  '/admin/add-product',
];
/** The demo seller's: their products with stock and units sold, and the orders they have to send. */
const SELLER_PAGES = ['/admin/products', '/admin/orders'];

/** A browser context at this size; `bypassCSP` only so that the test can inject axe-core. */
async function contextAt(width: number, height: number): Promise<BrowserContext> {
  return browser.newContext({ baseURL: baseUrl, viewport: { width, height }, bypassCSP: true });
}

async function logInIn(context: BrowserContext, who: { email: string; password: string } = shopper): Promise<void> {
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: /^log ?in$/i }).click()]);
  await page.close();
}

function fileNameOf(width: number, who: string, url: string): string {
  const name = url.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-') || 'home';
  return `${width}-${who}-${name}.png`;
}

async function visit(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  return page;
}

describe.each([
  ['a phone', 360, 740],
  ['a desktop', 1280, 800],
])('at the size of %s', (_name, width, height) => {
  test.each([
    ['a visitor', VISITOR_PAGES],
    ['a shopper', SHOPPER_PAGES],
    ['a seller', SELLER_PAGES],
  ])('the pages %s sees fit the screen and have no serious accessibility fault', async (who, pages) => {
    const context = await contextAt(width, height);
    try {
      if (who === 'a shopper') await logInIn(context);
      if (who === 'a seller') await logInIn(context, DEMO_LOGIN);
      for (const url of pages) {
        const page = await visit(context, url);
        // Expressions as strings: the browser's globals are not in the tests' TypeScript library.
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
        expect({ url, overflow }).toEqual({ url, overflow: 0 });
        await page.addScriptTag({ content: AXE_SOURCE });
        const results = await page.evaluate<AxeResults>('axe.run()');
        const serious = results.violations
          .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
          .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
        expect({ url, serious }).toEqual({ url, serious: [] });
        await page.screenshot({
          path: path.join(LAYOUT_DIR, fileNameOf(width, who.split(' ')[1], url)),
          fullPage: true,
        });
        await page.close();
      }
    } finally {
      await context.close();
    }
  });
});

test('on a phone the navigation opens from its menu button', async () => {
  const context = await contextAt(360, 740);
  try {
    const page = await visit(context, '/products');
    const menu = page.getByRole('button', { name: /menu/i });
    const navigation = page.locator('#main-nav');
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(navigation.isVisible()).resolves.toBe(false);
    await menu.click();
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('true');
    await expect(navigation.getByRole('link', { name: 'Log in' }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: path.join(LAYOUT_DIR, '360-visitor-menu-open.png') });
  } finally {
    await context.close();
  }
});
