/**
 * Pages fetched once, as a browser would, before the load runs: a real login to the shop and to
 * each peer through their own forms, and the pages whose bytes the bench compares.
 */
import { expectStatus, showsLogout, ShopClient, withoutCsrfTokens } from './shop';
import type { BenchUser } from './seed';

/** One page, fetched once by a fresh browser behind the proxy (with `headers`); it must answer 200. */
export async function getPage(baseUrl: string, path: string, headers: Record<string, string>, what: string) {
  const browser = new ShopClient(baseUrl, { behindHttpsProxy: true, headers });
  try {
    const page = await browser.get(path);
    expectStatus(page, 200, what);
    return page.body;
  } finally {
    browser.close();
  }
}

/** A fresh visitor opens the login page: its form's CSRF token needs no session, so none may start. */
export async function openLoginPage(browser: ShopClient, cookieName: string): Promise<void> {
  expectStatus(await browser.get('/login'), 200, 'GET /login');
  if (browser.cookie(cookieName)) throw new Error('GET /login started a session for a visitor');
}

/** Sends the login form of the page the browser last opened; the shop must answer with a session cookie. */
export async function submitLogin(browser: ShopClient, user: BenchUser): Promise<void> {
  const reply = await browser.postForm('/login', { email: user.email, password: user.password });
  expectStatus(reply, 302, 'POST /login');
  if (reply.location === '/login') throw new Error(`POST /login refused ${user.email}`);
}

/** A logged-in browser's Cookie header and its product list (viewed twice: the first view after a login may still write). */
export interface LoggedIn {
  cookie: string;
  page: string;
}

/** The shop's own login, behind the proxy; the browser stays open for the add-to-cart check. */
export async function shopLogin(browser: ShopClient, user: BenchUser, cookieName: string): Promise<LoggedIn> {
  await openLoginPage(browser, cookieName);
  await submitLogin(browser, user);
  return productListOf(browser, 'the shop');
}

/** A peer's login through its own routes, as a browser: its login form (for the CSRF token), then the form posted. */
export async function peerLogin(url: string, name: string, user: BenchUser): Promise<LoggedIn> {
  const browser = new ShopClient(url);
  try {
    expectStatus(await browser.get('/login'), 200, `${name}: GET /login`);
    const login = await browser.postForm('/login', { email: user.email, password: user.password });
    expectStatus(login, 302, `${name}: POST /login`);
    if (login.location === '/login') throw new Error(`${name}: POST /login refused ${user.email}`);
    return await productListOf(browser, name);
  } finally {
    browser.close();
  }
}

async function productListOf(browser: ShopClient, name: string): Promise<LoggedIn> {
  let page = '';
  for (let view = 0; view < 2; view++) {
    const reply = await browser.get('/products');
    expectStatus(reply, 200, `${name}: GET /products logged in`);
    if (!showsLogout(reply.body)) throw new Error(`${name}: GET /products after its login is not a logged-in page`);
    page = reply.body;
  }
  return { cookie: browser.cookieHeader(), page };
}

/** Whether a page is `expected` (but for the session's CSRF token with `exceptCsrf`), or where it parts from it. */
export function sameness(page: string, expected: string, exceptCsrf = false): { same: boolean; difference?: string } {
  const [x, y] = exceptCsrf ? [withoutCsrfTokens(page), withoutCsrfTokens(expected)] : [page, expected];
  if (x === y) return { same: true };
  let at = 0;
  while (at < x.length && at < y.length && x[at] === y[at]) at++;
  return {
    same: false,
    difference: `at character ${at}: ${JSON.stringify(x.slice(at, at + 60))} against ${JSON.stringify(y.slice(at, at + 60))}`,
  };
}
