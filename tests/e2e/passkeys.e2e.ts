import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../../tools/processes';
import { SCREENSHOTS_DIR, launchChromium } from '../helpers/browser';
import { THROUGH_STACK, startE2eTarget, type E2eTarget } from '../helpers/e2e-target';
import { newShopper, startTestShop, type TestShop } from '../helpers/shop';
import { addVirtualAuthenticator } from '../helpers/webauthn';

/*
 * Passkeys in a real browser, with Chromium's virtual authenticator (CDP) as the shopper's device:
 * one added on the account's passkeys page, a logout, a login from the login page without an email
 * typed, then the passkey removed. WebAuthn needs an RP ID that is a domain, so the shop runs at
 * http://localhost:PORT with PUBLIC_URL saying so (through the stack: https://localhost, which the
 * stack's PUBLIC_URL names). Screenshots in test-results/e2e/passkeys/.
 */

let shop: TestShop;
/** Added to the real time by the in-process shop's clock: the test moves it past the step-up window. */
let clockOffset = 0;
let baseUrl: string;
let server: Server | undefined;
let target: E2eTarget | undefined;
let browser: Browser;
const SHOTS = path.join(SCREENSHOTS_DIR, 'passkeys');

beforeAll(async () => {
  if (THROUGH_STACK) {
    shop = await startTestShop('e2e-passkeys');
    target = await startE2eTarget(shop);
    baseUrl = target.baseUrl;
  } else {
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    shop = await startTestShop('e2e-passkeys', { config: { publicUrl: baseUrl }, now: () => Date.now() + clockOffset });
    const listening = shop.app.listen(port, '127.0.0.1');
    server = listening;
    await new Promise((resolve) => listening.once('listening', resolve));
  }
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await target?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await shop?.close();
});

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function newPage(context: BrowserContext, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  return page;
}

test('a shopper adds a passkey, logs out, logs in with it without an email, and removes it', async () => {
  const shopper = await newShopper(shop.app, 'e2e-passkey');
  const context = await browser.newContext({
    baseURL: baseUrl,
    ignoreHTTPSErrors: true,
    viewport: { width: 1200, height: 900 },
  });
  target?.observe(context);
  const problems: string[] = [];
  const page = await newPage(context, problems);
  const authenticator = await addVirtualAuthenticator(page);

  await page.goto('/login');
  await page.getByLabel('Email').fill(shopper.email);
  await page.getByLabel('Password').fill(shopper.password);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: /^log ?in$/i }).click()]);

  await page.goto('/account');
  await Promise.all([
    page.waitForURL('**/account/passkeys'),
    page.getByRole('link', { name: 'your passkeys' }).click(),
  ]);
  await expect(page.getByText('You have no passkey yet.').count()).resolves.toBe(1);
  await page.getByLabel('Name').fill('This laptop');
  await screenshot(page, '1-add');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey “This laptop” added').waitFor();
  await expect(page.locator('.passkeys').getByText('This laptop', { exact: true }).count()).resolves.toBe(1);
  await screenshot(page, '2-added');
  const held = await authenticator.credentials();
  expect(held).toHaveLength(1);
  expect(held[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });

  await Promise.all([
    page.waitForURL(`${baseUrl}/`),
    page
      .getByRole('button', { name: /log ?out/i })
      .first()
      .click(),
  ]);
  await page.goto('/login');
  const passkeyButton = page.getByRole('button', { name: 'Log in with a passkey' });
  await passkeyButton.waitFor();
  await screenshot(page, '3-login');
  await Promise.all([page.waitForURL(`${baseUrl}/`), passkeyButton.click()]);
  await expect(page.getByRole('navigation').getByText(shopper.email).count()).resolves.toBe(1);
  await screenshot(page, '4-logged-in');

  await page.goto('/account/passkeys');
  await expect(page.getByText(/last used/).count()).resolves.toBe(1);
  await page.getByRole('button', { name: /^Remove/ }).click();
  const dialog = page.locator('dialog.confirm-dialog');
  await Promise.all([page.waitForURL('**/account/passkeys'), dialog.getByRole('button', { name: 'Yes' }).click()]);
  await page.getByText('Passkey “This laptop” removed').waitFor();
  await expect(page.getByText('You have no passkey yet.').count()).resolves.toBe(1);
  await screenshot(page, '5-removed');

  await shop.inbox.waitFor(shopper.email, /A passkey was added/);
  await shop.inbox.waitFor(shopper.email, /A passkey was removed/);
  expect(problems).toEqual([]);
  await context.close();
});

// The shop's clock is the test's only in-process (the stack's processes keep their own).
(THROUGH_STACK ? test.skip : test)('past the step-up window, "Confirm it\'s you" takes the passkey', async () => {
  const shopper = await newShopper(shop.app, 'e2e-passkey-confirm');
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const page = await newPage(context, problems);
  await addVirtualAuthenticator(page);
  await page.goto('/login');
  await page.getByLabel('Email').fill(shopper.email);
  await page.getByLabel('Password').fill(shopper.password);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: /^log ?in$/i }).click()]);
  await page.goto('/account/passkeys');
  await page.getByLabel('Name').fill('Desk');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey “Desk” added').waitFor();

  clockOffset += 11 * 60_000;
  await page.goto('/account/passkeys');
  await expect(page.getByLabel('Current password').count()).resolves.toBeGreaterThan(0);
  await page.goto('/account/confirm?returnTo=/account/passkeys');
  await screenshot(page, '6-confirm');
  await Promise.all([
    page.waitForURL('**/account/passkeys'),
    page.getByRole('button', { name: 'Confirm with a passkey' }).click(),
  ]);
  await expect(page.getByLabel('Current password').count()).resolves.toBe(0);
  expect(problems).toEqual([]);
  await context.close();
});
