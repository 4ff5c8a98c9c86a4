import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../src/platform/crypto/totp';
import { newShopper, startTestShop, type TestShop } from '../helpers/shop';
import { SCREENSHOTS_DIR, launchChromium } from '../helpers/browser';
import { startE2eTarget, type E2eTarget } from '../helpers/e2e-target';

/*
 * The second factor in a real browser: turned on from the account page (the QR code an image the
 * Content-Security-Policy lets load), then a login that stops at the code and goes on with the
 * one an authenticator app would show. Screenshots in test-results/e2e/two-factor/.
 */

let shop: TestShop;
let target: E2eTarget;
let browser: Browser;
const SHOTS = path.join(SCREENSHOTS_DIR, 'two-factor');

beforeAll(async () => {
  shop = await startTestShop('e2e-two-factor');
  target = await startE2eTarget(shop);
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await target?.close();
  await shop?.close();
});

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: /^log ?in$/i }).click();
}

test('a shopper turns on two-factor authentication, then logs in with a code from the app', async () => {
  const shopper = await newShopper(shop.app, 'e2e-2fa');
  const context = await browser.newContext({
    baseURL: target.baseUrl,
    ignoreHTTPSErrors: true,
    viewport: { width: 1200, height: 900 },
  });
  target.observe(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await Promise.all([page.waitForURL(`${target.baseUrl}/`), logIn(page, shopper.email, shopper.password)]);

  await page.goto('/account');
  await Promise.all([
    page.waitForURL('**/account/two-factor'),
    page.getByRole('link', { name: 'Turn on two-factor authentication' }).click(),
  ]);
  // The QR code is a data: image, which the CSP's img-src allows: it loads.
  // (An expression as a string: the browser's globals are not in the tests' TypeScript library.)
  await expect(page.getByRole('img', { name: /QR code/ }).count()).resolves.toBe(1);
  await expect(page.evaluate<number>("document.querySelector('img.qr-code').naturalWidth")).resolves.toBeGreaterThan(0);
  const secret = (await page.locator('#totp-secret').innerText()).replace(/\s/g, '');
  await screenshot(page, '1-setup');

  await page.getByLabel('Code from the app').fill(totpCode(secret, Date.now()));
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await expect(page.getByRole('heading', { name: 'Two-factor authentication is on' }).count()).resolves.toBe(1);
  await expect(page.locator('.recovery-codes li').count()).resolves.toBe(10);
  await screenshot(page, '2-recovery-codes');
  await Promise.all([page.waitForURL('**/account'), page.getByRole('link', { name: /back to my account/ }).click()]);
  await expect(page.getByText('10 recovery codes left').count()).resolves.toBe(1);

  await Promise.all([
    page.waitForURL(`${target.baseUrl}/`),
    page
      .getByRole('button', { name: /log ?out/i })
      .first()
      .click(),
  ]);
  await Promise.all([page.waitForURL('**/login/two-factor'), logIn(page, shopper.email, shopper.password)]);
  await expect(page.getByRole('navigation').getByText(shopper.email).count()).resolves.toBe(0);
  await screenshot(page, '3-code-asked');
  // The app's next code: newer than the one that turned it on, so it is accepted at once.
  await page.getByLabel('Code').fill(totpCode(secret, Date.now() + 30_000));
  await Promise.all([page.waitForURL(`${target.baseUrl}/`), page.getByRole('button', { name: /^log ?in$/i }).click()]);
  await expect(page.getByRole('navigation').getByText(shopper.email).count()).resolves.toBe(1);
  await screenshot(page, '4-logged-in');
  await context.close();
});
