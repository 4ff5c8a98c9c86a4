import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Order } from '../../src/cart/order.model';
import { addProduct, newShopper, placeOrder, startTestShop, type Shopper, type TestShop } from '../helpers/shop';
import { SCREENSHOTS_DIR, launchChromium } from '../helpers/browser';
import { THROUGH_STACK, startE2eTarget, type E2eTarget } from '../helpers/e2e-target';

/*
 * A shopper's visit in a real browser: headless Chromium driven by playwright-core, against the
 * real shop on the test database. Each step leaves a screenshot in test-results/e2e/.
 * With E2E_STACK=1, through nginx and two shop processes over HTTPS (tests/helpers/e2e-target.ts).
 */

let shop: TestShop;
let target: E2eTarget;
let baseUrl: string;
let browser: Browser;
let seller: Shopper;

const PRODUCTS = [
  { title: 'Blue Teapot', price: '24.50' },
  { title: 'Linen Apron', price: '18.00' },
  { title: 'Oak Cutting Board', price: '32.25' },
];

beforeAll(async () => {
  shop = await startTestShop('e2e');
  // Someone else's products: the shopper under test only buys.
  seller = await newShopper(shop.app, 'seller');
  for (const product of PRODUCTS)
    await addProduct(seller, { ...product, description: `A fine ${product.title.toLowerCase()}.`, stock: '50' });
  target = await startE2eTarget(shop);
  baseUrl = target.baseUrl;
  browser = await launchChromium();
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await target?.close();
  await shop?.close();
});

let step = 0;
async function screenshot(page: Page, name: string): Promise<void> {
  step += 1;
  await page.screenshot({
    path: path.join(SCREENSHOTS_DIR, `${String(step).padStart(2, '0')}-${name}.png`),
    fullPage: true,
  });
}

function addToCartButtons(page: Page) {
  return page.getByRole('button', { name: 'Add to cart' });
}

/** Clicks a form's button and waits until the page it lands on has loaded (the URL may not change). */
async function clickAndLand(page: Page, landing: string, click: () => Promise<void>): Promise<void> {
  await Promise.all([
    page.waitForEvent(
      'framenavigated',
      (frame) => frame === page.mainFrame() && new URL(frame.url()).pathname === landing,
    ),
    click(),
  ]);
  await page.waitForLoadState('load');
}

/** The product card (or list item) that shows this title. */
function card(page: Page, title: string) {
  return page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: title }) });
}

test('a shopper browses, signs up, logs in, fills the cart, checks out, gets the invoice and logs out', async () => {
  const context = await browser.newContext({
    baseURL: baseUrl,
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    viewport: { width: 1200, height: 800 },
    timezoneId: 'Europe/Berlin',
  });
  target.observe(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const email = `e2e-${Date.now()}@example.com`;
  const password = 'a browser password';

  // Anonymous: products, no add-to-cart.
  await page.goto('/products');
  for (const { title } of PRODUCTS) await expect(card(page, title).count()).resolves.toBe(1);
  expect(await addToCartButtons(page).count()).toBe(0);
  await screenshot(page, 'anonymous-products');

  // Sign up.
  await page
    .getByRole('link', { name: /sign ?up/i })
    .first()
    .click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByLabel(/repeat|confirm/i).fill(password);
  await screenshot(page, 'signup');
  await Promise.all([page.waitForURL('**/login'), page.getByRole('button', { name: /sign ?up/i }).click()]);

  // Log in: the very next page shows the logged-in navigation, without a reload.
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: /^log ?in$/i }).click()]);
  await expect(page.getByRole('navigation').getByText(email).count()).resolves.toBe(1);
  await expect(page.getByRole('button', { name: /log ?out/i }).count()).resolves.toBeGreaterThan(0);
  await screenshot(page, 'logged-in-home');

  // Two products from the list, one from its detail page: each time back where the shopper was,
  // with a notice naming the product and the count in the navigation.
  await page.goto('/products');
  expect(await addToCartButtons(page).count()).toBeGreaterThanOrEqual(PRODUCTS.length);
  await Promise.all([
    page.waitForURL('**/products'),
    card(page, 'Blue Teapot').getByRole('button', { name: 'Add to cart' }).click(),
  ]);
  await expect(page.getByRole('status').innerText()).resolves.toBe('Added Blue Teapot to your cart.');
  await Promise.all([
    page.waitForURL('**/products'),
    card(page, 'Linen Apron').getByRole('button', { name: 'Add to cart' }).click(),
  ]);
  await expect(page.locator('.main-nav__cart-count').innerText()).resolves.toMatch(/^2/);
  await screenshot(page, 'added-to-cart');
  await card(page, 'Oak Cutting Board')
    .getByRole('link', { name: /details/i })
    .click();
  await page.waitForURL('**/products/*');
  const detailUrl = page.url();
  await expect(page.getByRole('heading', { name: 'Oak Cutting Board' }).count()).resolves.toBe(1);
  await screenshot(page, 'product-detail');
  await Promise.all([page.waitForURL(detailUrl), addToCartButtons(page).first().click()]);
  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.waitForURL('**/cart');

  // The cart: three lines, quantities and total.
  const rows = page.locator('tbody tr');
  await expect(rows.count()).resolves.toBe(3);
  await expect(page.locator('tfoot').innerText()).resolves.toMatch(/74\.75/);
  await screenshot(page, 'cart');

  // Two teapots: the line total and the total follow.
  await page.getByLabel('Quantity of Blue Teapot').fill('2');
  await clickAndLand(page, '/cart', () =>
    rows
      .filter({ hasText: 'Blue Teapot' })
      .getByRole('button', { name: /update/i })
      .click(),
  );
  await expect(rows.filter({ hasText: 'Blue Teapot' }).innerText()).resolves.toMatch(/49\.00/);
  await expect(page.locator('tfoot').innerText()).resolves.toMatch(/99\.25/);

  // Remove one: the dialog asks first; Cancel keeps it, Yes removes it.
  const removeApron = () =>
    rows
      .filter({ hasText: 'Linen Apron' })
      .getByRole('button', { name: /remove/i })
      .click();
  await removeApron();
  const dialog = page.getByRole('dialog');
  await expect(dialog.innerText()).resolves.toContain('Remove Linen Apron from your cart?');
  await screenshot(page, 'cart-confirm-remove');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(rows.count()).resolves.toBe(3);
  await removeApron();
  await clickAndLand(page, '/cart', () => dialog.getByRole('button', { name: 'Yes' }).click());
  await expect(rows.count()).resolves.toBe(2);
  await expect(page.getByRole('status').innerText()).resolves.toBe('Removed Linen Apron from your cart.');
  await expect(page.locator('tfoot').innerText()).resolves.toMatch(/81\.25/);
  await screenshot(page, 'cart-after-remove');

  // Checkout: a missing field is said next to it, what was typed stays; then the order.
  await Promise.all([page.waitForURL('**/checkout'), page.getByRole('link', { name: /checkout/i }).click()]);
  await expect(page.getByText(/pay on delivery/i).count()).resolves.toBeGreaterThan(0);
  await page.getByLabel('Full name').fill('Ada Lovelace');
  await page.getByLabel('Street and house number').fill('12 Example Street');
  await page.getByLabel('Postcode').fill('SW1Y 4JH');
  await page.getByLabel('Country').selectOption('GB');
  await clickAndLand(page, '/create-order', () => page.getByRole('button', { name: /place order/i }).click());
  await expect(page.getByText('Enter the town or city.').count()).resolves.toBe(1);
  await expect(page.getByLabel('Full name').inputValue()).resolves.toBe('Ada Lovelace');
  await screenshot(page, 'checkout-error');
  await page.getByLabel('Town or city').fill('London');
  await Promise.all([
    page.waitForURL('**/orders/*/confirmation'),
    page.getByRole('button', { name: /place order/i }).click(),
  ]);
  const orderText = await page.getByRole('main').innerText();
  expect(orderText).toMatch(/Order \d{4,}/);
  expect(orderText).toContain('Blue Teapot');
  expect(orderText).toContain('Oak Cutting Board');
  expect(orderText).not.toContain('Linen Apron');
  expect(orderText).toMatch(/81\.25/);
  expect(orderText).toContain('SW1Y 4JH London');
  // In the browser's time zone (Europe/Berlin here), not UTC; the UTC time stays as the title.
  const placed = page.locator('time[data-local-time]').first();
  await expect(placed.innerText()).resolves.not.toMatch(/UTC$/);
  await expect(placed.getAttribute('title')).resolves.toMatch(/UTC$/);
  await screenshot(page, 'order-confirmation');

  // The invoice downloads as a PDF.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page
      .getByRole('link', { name: /invoice/i })
      .first()
      .click(),
  ]);
  const invoicePath = path.join(SCREENSHOTS_DIR, 'invoice.pdf');
  await download.saveAs(invoicePath);
  expect(fs.readFileSync(invoicePath).subarray(0, 5).toString()).toBe('%PDF-');

  // On a 360 px phone: no page is wider than the screen; cart lines are cards.
  await page.goto('/products');
  await card(page, 'Linen Apron').getByRole('button', { name: 'Add to cart' }).click();
  await page.setViewportSize({ width: 360, height: 740 });
  for (const pagePath of ['/', '/products', '/cart', '/checkout', '/orders', page.url()]) {
    await page.goto(pagePath);
    // A string: the test's TypeScript has no DOM types.
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect({ pagePath, width }).toEqual({ pagePath, width: 360 });
  }
  await page.goto('/cart');
  // Each line a card: the rows are blocks, not table rows.
  await expect(
    page.evaluate<string>("getComputedStyle(document.querySelector('.cart tbody tr')).display"),
  ).resolves.toBe('block');
  await screenshot(page, 'phone-cart');
  await page.goto('/orders');
  await screenshot(page, 'phone-orders');
  await page.setViewportSize({ width: 1200, height: 800 });

  // Log out: no add-to-cart any more.
  await Promise.all([
    page.waitForURL(`${baseUrl}/`),
    page
      .getByRole('button', { name: /log ?out/i })
      .first()
      .click(),
  ]);
  await page.goto('/products');
  expect(await addToCartButtons(page).count()).toBe(0);
  await expect(page.getByRole('navigation').getByText(email).count()).resolves.toBe(0);
  await screenshot(page, 'logged-out');

  await context.close();
});

test('a shopper who forgot the password resets it from the login page and is logged in', async () => {
  const shopper = await newShopper(shop.app, 'forgetful');
  const context = await browser.newContext({
    baseURL: baseUrl,
    ignoreHTTPSErrors: true,
    viewport: { width: 1200, height: 800 },
  });
  target.observe(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);

  await page.goto('/login');
  await Promise.all([page.waitForURL('**/reset'), page.getByRole('link', { name: 'Forgot your password?' }).click()]);
  await page.getByLabel('Email').fill(shopper.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByText('a link to choose a new password is on its way').count()).resolves.toBe(1);
  await screenshot(page, 'reset-asked');

  // The message, through the test's SMTP server; its link on this server.
  const message = await shop.inbox.waitFor(shopper.email, /Reset your password/);
  const link = /https?:\/\/[^\s/]+(\/reset\/\S+)/.exec(message.text)![1];
  await page.goto(link);
  await page.getByLabel('New password', { exact: true }).fill('a new browser password');
  await page.getByLabel('Repeat the new password').fill('a new browser password');
  await screenshot(page, 'new-password');
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: 'Change password' }).click()]);
  await expect(page.getByRole('navigation').getByText(shopper.email).count()).resolves.toBe(1);
  await expect(page.getByText('Your password has been changed').count()).resolves.toBe(1);
  await screenshot(page, 'reset-logged-in');
  await context.close();
});

test('a seller ships an order from "Orders to send", and the shopper sees it shipped', async () => {
  // The shopper's order, placed through the shop's own forms.
  const shopper = await newShopper(shop.app, 'waiting');
  const apron = await shop.store.database.collection('products').findOne({ title: 'Linen Apron' });
  await shopper.agent
    .post('/cart')
    .type('form')
    .send({ _csrf: shopper.csrf, productId: apron!._id.toHexString() })
    .expect(302);
  const orderId = await placeOrder(shopper);
  const number = String((await Order.findById(orderId).lean())!.number);

  const logIn = async (who: Shopper): Promise<Page> => {
    const context = await browser.newContext({
      baseURL: baseUrl,
      ignoreHTTPSErrors: true,
      viewport: { width: 1200, height: 800 },
    });
    target.observe(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto('/login');
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: /^log ?in$/i }).click()]);
    return page;
  };

  // The seller: the navigation counts the orders to send; the order shows the address; ship it.
  const sellerPage = await logIn(seller);
  await expect(
    sellerPage
      .locator('.main-nav')
      .getByRole('link', { name: /Orders to send/ })
      .innerText(),
  ).resolves.toMatch(/Orders to send \d+/);
  await Promise.all([
    sellerPage.waitForURL('**/admin/orders'),
    sellerPage
      .locator('.main-nav')
      .getByRole('link', { name: /Orders to send/ })
      .click(),
  ]);
  const order = sellerPage
    .getByRole('listitem')
    .filter({ has: sellerPage.getByRole('heading', { name: `Order ${number}` }) });
  await expect(order.innerText()).resolves.toContain('Linen Apron');
  await expect(order.innerText()).resolves.toContain('SW1Y 4JH London');
  await screenshot(sellerPage, 'seller-orders');
  await clickAndLand(sellerPage, '/admin/orders', () => order.getByRole('button', { name: /Mark shipped/ }).click());
  await expect(sellerPage.getByRole('status').innerText()).resolves.toBe(`Order ${number}: marked shipped.`);
  await expect(order.getByRole('button', { name: /Mark shipped/ }).count()).resolves.toBe(0);
  await screenshot(sellerPage, 'seller-shipped');
  await sellerPage.context().close();

  // The shopper: told by mail, and the order says so, with its history; it can no longer be cancelled.
  await shop.inbox.waitFor(shopper.email, new RegExp(`Your order ${number} is on its way`));
  const shopperPage = await logIn(shopper);
  await shopperPage.goto('/orders');
  const theirs = shopperPage
    .getByRole('listitem')
    .filter({ has: shopperPage.getByRole('heading', { name: `Order ${number}` }) });
  await expect(theirs.locator('.order__status').innerText()).resolves.toBe('Shipped');
  await expect(theirs.locator('.order__history').innerText()).resolves.toMatch(/Placed[\s\S]*Shipped/);
  await expect(theirs.getByRole('button', { name: /Cancel order/ }).count()).resolves.toBe(0);
  await screenshot(shopperPage, 'shopper-sees-shipped');
  await shopperPage.context().close();
});

(THROUGH_STACK ? test : test.skip)('through the stack, each browser took turns between the two shop processes', () => {
  target.expectAlternation();
});
