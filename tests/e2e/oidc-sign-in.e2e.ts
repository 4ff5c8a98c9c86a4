import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SCREENSHOTS_DIR, launchChromium } from '../helpers/browser';
import { THROUGH_STACK } from '../helpers/e2e-target';
import { LABEL, newPerson, startOidcShop, type OidcShop } from '../helpers/oidc-shop';

/*
 * "Log in with <label>" in a real browser against a real OpenID Provider (the one of
 * `npm run oidc-provider`): the shop's button, the provider's page (a button per person), and back
 * at the shop logged in, a new account without a password; then the account page's section.
 * The shop listens first so that PUBLIC_URL (the provider's registered redirect URI) has its port.
 * In-process only: through the stack the shop's processes would need the provider's settings too.
 * Screenshots in test-results/e2e/oidc/.
 */

let oidc: OidcShop;
let server: http.Server;
let baseUrl: string;
let browser: Browser;
const SHOTS = path.join(SCREENSHOTS_DIR, 'oidc');
const maybe = THROUGH_STACK ? test.skip : test;

beforeAll(async () => {
  if (THROUGH_STACK) return;
  server = http.createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  oidc = await startOidcShop('e2e-oidc', { publicUrl: baseUrl });
  server.on('request', oidc.shop.app);
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  await oidc?.close();
});

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

maybe('a visitor logs in with the provider from the login page: a new account, then its section', async () => {
  const person = newPerson(oidc.provider);
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto('/login');
  await screenshot(page, '1-login');
  await Promise.all([
    page.waitForURL(`${oidc.provider.issuer}/**`),
    page.getByRole('link', { name: `Log in with ${LABEL}` }).click(),
  ]);
  await screenshot(page, '2-provider');
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByRole('button', { name: person.email }).click()]);
  await expect(page.getByText(`you log in with ${LABEL}`).count()).resolves.toBe(1);
  await screenshot(page, '3-logged-in');

  await page.goto('/account');
  await expect(page.getByRole('heading', { name: `Log in with ${LABEL}` }).count()).resolves.toBe(1);
  await expect(page.getByText(person.email).count()).resolves.toBeGreaterThan(0);
  await screenshot(page, '4-account');
  await context.close();
});
