import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { newShopper, startTestShop, type Shopper, type TestShop } from '../helpers/shop';
import { SCREENSHOTS_DIR, launchChromium } from '../helpers/browser';

/*
 * A seller's photo in a real browser: chosen in the add form's file field, refused when it is no
 * photo (what was typed stays), shown with srcset on a desktop and on a phone, replaced.
 */

let shop: TestShop;
let server: Server;
let baseUrl: string;
let browser: Browser;
let seller: Shopper;

beforeAll(async () => {
  shop = await startTestShop('e2e_photos');
  seller = await newShopper(shop.app, 'seller');
  server = shop.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await shop?.close();
});

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `photos-${name}.png`), fullPage: true });
}

/** A photo as a camera would give it: 1600 × 1200, with a gradient so that it is no flat colour. */
async function photo(colour: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1200">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="${colour}"/><stop offset="1" stop-color="#ffffff"/></linearGradient></defs>
    <rect width="1600" height="1200" fill="url(#g)"/><circle cx="800" cy="600" r="300" fill="#222"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/**
 * What the browser made of a product's image: which stored width it chose (currentSrc), whether it
 * loaded (naturalWidth: the chosen file's width scaled to the `sizes` slot), how wide it is shown.
 */
async function loadedImage(page: Page, selector: string) {
  // Read with Reflect: the tests' TypeScript has no DOM types.
  const [src, naturalWidth, shownWidth] = await page
    .locator(selector)
    .evaluate((image): unknown[] =>
      ['currentSrc', 'naturalWidth', 'clientWidth'].map((key) => Reflect.get(image, key)),
    );
  if (typeof src !== 'string' || typeof naturalWidth !== 'number' || typeof shownWidth !== 'number') {
    throw new Error(`no image at ${selector}`);
  }
  return { src, naturalWidth, shownWidth };
}

test('a seller adds a product with a photo, sees it refused when it is none, and replaces it', async () => {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);

  await page.goto('/login');
  await page.getByLabel('Email').fill(seller.email);
  await page.getByLabel('Password').fill(seller.password);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: /^log ?in$/i }).click()]);

  // An HTML page named like a photo: refused, with what was typed still there.
  await page.goto('/admin/add-product');
  await page.getByLabel('Title').fill('Enamel Kettle');
  await page.getByLabel(/^Price/).fill('39.00');
  await page.getByLabel('Description').fill('Whistles when the water boils.');
  await page.getByLabel(/^Photo/).setInputFiles({
    name: 'kettle.jpg',
    mimeType: 'image/jpeg',
    buffer: Buffer.from('<!doctype html><script>alert(1)</script>'),
  });
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Add product' }).click()]);
  await expect(page.locator('#image-error').textContent()).resolves.toBe('Choose a JPEG, PNG or WebP photo.');
  await expect(page.getByLabel('Title').inputValue()).resolves.toBe('Enamel Kettle');
  await expect(page.getByLabel('Description').inputValue()).resolves.toBe('Whistles when the water boils.');
  await screenshot(page, '01-refused');

  // A real photo: the product is added with it.
  await page
    .getByLabel(/^Photo/)
    .setInputFiles({ name: 'kettle.jpg', mimeType: 'image/jpeg', buffer: await photo('#c0392b') });
  await Promise.all([page.waitForURL('**/admin/products'), page.getByRole('button', { name: 'Add product' }).click()]);
  const own = await loadedImage(page, 'img[alt="Enamel Kettle"]');
  expect(own.src).toMatch(/\/product-images\/[0-9a-f]{24}\/(400|800|1200)$/);
  expect(own.naturalWidth).toBeGreaterThan(0);
  await screenshot(page, '02-own-products');

  // The shop's list on a desktop: a card about 360 pixels wide takes the 400 width.
  await page.goto('/products');
  const desktop = await loadedImage(page, 'img[alt="Enamel Kettle"]');
  expect(desktop.src).toMatch(/\/400$/);
  expect(desktop.shownWidth).toBeLessThanOrEqual(400);
  await screenshot(page, '03-desktop');

  // The product page, half the page wide: the 800 width.
  await page
    .getByRole('link', { name: /details/i })
    .first()
    .click();
  await page.waitForURL('**/products/*');
  const detail = await loadedImage(page, 'img.product-detail__image');
  expect(detail.src).toMatch(/\/800$/);

  // A phone at twice the pixels: a card lies on its side with a 7rem picture, which takes the 400
  // width; the product page, the phone's whole width, the 800 one.
  const phone = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
  });
  const phonePage = await phone.newPage();
  await phonePage.goto('/products');
  const onPhone = await loadedImage(phonePage, 'img[alt="Enamel Kettle"]');
  expect(onPhone.src).toMatch(/\/400$/);
  const pageWidth = await phonePage.locator('html').evaluate((html): unknown => Reflect.get(html, 'scrollWidth'));
  expect(pageWidth).toBeLessThanOrEqual(390);
  await screenshot(phonePage, '04-phone');
  await phonePage
    .getByRole('link', { name: /details/i })
    .first()
    .click();
  await phonePage.waitForURL('**/products/*');
  expect((await loadedImage(phonePage, 'img.product-detail__image')).src).toMatch(/\/800$/);
  await phone.close();

  // Replaced from the edit form: the new photo shows, the old address is gone.
  await page.goto('/admin/products');
  await page.getByRole('link', { name: 'Edit' }).first().click();
  await page.waitForURL('**/admin/edit-product/*');
  await expect(page.getByAltText("The product's current photo").count()).resolves.toBe(1);
  await screenshot(page, '05-edit-form');
  await page.getByLabel(/^New photo/).setInputFiles({
    name: 'blue.png',
    mimeType: 'image/png',
    buffer: await sharp(await photo('#2e86de'))
      .png()
      .toBuffer(),
  });
  await Promise.all([page.waitForURL('**/admin/products'), page.getByRole('button', { name: 'Save changes' }).click()]);
  const replaced = await loadedImage(page, 'img[alt="Enamel Kettle"]');
  expect(replaced.src).not.toBe(own.src);
  expect(replaced.naturalWidth).toBeGreaterThan(0);
  const old = await page.request.get(own.src);
  expect(old.status()).toBe(404);

  await context.close();
});
