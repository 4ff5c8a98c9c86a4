/**
 * Everything the load runs need, started and checked: each shop logged in to through its own
 * login form, each peer through its own, the ceiling and the floor; every page they will serve
 * compared with the shop's own, and the pages under load (the scenarios) listed.
 */
import crypto from 'node:crypto';
import type { RunKey } from './options';
import type { Processes } from './servers';
import type { BenchUser } from './seed';
import type { Scenario } from './load-run';
import { getPage, peerLogin, sameness, shopLogin } from './logins';
import { csrfTokenIn, expectStatus, HTTPS_PROXY_HEADERS, productIdsIn, ShopClient, type ShopProcess } from './shop';

/** One shop of the run: its database and what it holds. */
export interface ShopSize {
  /** '' for the big shop, '-small' for the small one: the suffix of its runs' keys and processes. */
  suffix: '' | '-small';
  uri: string;
  products: number;
  users: BenchUser[];
}

const PEERS = [
  { key: 'g', file: 'peer-course', label: "peer: the course's pattern" },
  { key: 'h', file: 'peer-passport', label: 'peer: connect-mongo + passport' },
] as const;

/** A shop process, with a browser logged in to it and what that browser sends and sees. */
export interface LoggedInShop {
  process: ShopProcess;
  browser: ShopClient;
  /** Its request headers: the session cookie, behind the TLS proxy. */
  withSession: Record<string, string>;
  page: string;
}

export class RunSetup {
  readonly scenarios: Scenario[] = [];
  /** Whether each page checked was the shop's (byte for byte; the peers' but for the CSRF token). */
  readonly samePages: Partial<Record<RunKey, boolean>> = {};
  /** The peers' cookie secret: their own, not the shop's. */
  private readonly peerSecret = crypto.randomBytes(32).toString('hex');

  constructor(
    private readonly processes: Processes,
    private readonly options: {
      wants: (key: RunKey) => boolean;
      bcryptRounds: number;
      /** The shop's session cookie, and the secret that signs it (the floor verifies with it too). */
      cookieName: string;
      shopSecret: string;
    },
  ) {}

  /** The shop on `size`'s database, logged in; then each peer wanted on the same database, logged in: (c), (g), (h). */
  async shop(size: ShopSize): Promise<LoggedInShop> {
    const { processes, options } = this;
    const shop = await processes.shop(`shop${size.suffix}`, size.uri, this.options.shopSecret, options.bcryptRounds);
    const browser = new ShopClient(shop.url, { behindHttpsProxy: true });
    const { cookie, page } = await shopLogin(browser, size.users[0], options.cookieName);
    const withSession = { ...HTTPS_PROXY_HEADERS, cookie };
    this.add(size, `c${size.suffix}`, 'GET /products logged in', shop.name, `${shop.url}/products`, withSession);
    for (const peer of PEERS) {
      const key: RunKey = `${peer.key}${size.suffix}`;
      if (!options.wants(key)) continue;
      const name = `${peer.file}${size.suffix}`;
      const url = await processes.server(name, peer.file, size.uri, this.peerSecret);
      const peerIn = await peerLogin(url, name, size.users[0]).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${message}\n${name}'s output:\n${processes.output(name)}`);
      });
      this.check(key, `${peer.label}, logged in through its own POST /login`, peerIn.page, page, true);
      this.add(size, key, peer.label, name, `${url}/products`, { cookie: peerIn.cookie });
    }
    return { process: shop, browser, withSession, page };
  }

  /**
   * On the big shop: (a) the ceiling and (b) the anonymous page it is the ceiling of, (f) the
   * floor, (d) a product page, (e) add-to-cart (tried once first) and (c20), (c) at 20 connections.
   */
  async aroundTheShop(size: ShopSize, shop: LoggedInShop, p99Connections: number): Promise<void> {
    const { url, name } = shop.process;
    const { withSession } = shop;
    const anonymous = await getPage(url, '/products', {}, 'GET /products');
    if (this.options.wants('a')) {
      const ceiling = await this.processes.server('ceiling', 'ceiling', size.uri);
      this.check('a', 'the ceiling', await getPage(ceiling, '/products', {}, 'the ceiling'), anonymous);
      const label = 'ceiling: the list from memory, no session';
      this.add(size, 'a', label, 'ceiling', `${ceiling}/products`, HTTPS_PROXY_HEADERS, { usesEngine: false });
    }
    this.add(size, 'b', 'GET /products anonymous', name, `${url}/products`, HTTPS_PROXY_HEADERS);
    if (this.options.wants('f')) {
      const floor = await this.processes.server('floor', 'floor', size.uri, this.options.shopSecret);
      this.check('f', 'the floor', await getPage(floor, '/products', withSession, 'the floor'), shop.page);
      this.add(size, 'f', 'floor: cookie, one read, hydrate, render', 'floor', `${floor}/products`, withSession);
    }

    // A product page, and add-to-cart then its removal (a line holds at most 99: an add alone would
    // fill it within a second and be refused), each tried once before they are measured.
    const productId = productIdsIn(anonymous)[0];
    expectStatus(await shop.browser.get(`/products/${productId}`), 200, `GET /products/${productId}`);
    const fields = { _csrf: csrfTokenIn(shop.page), productId };
    const writes = ['/cart', '/cart-delete-item'];
    for (const path of writes) {
      const reply = await shop.browser.request('POST', path, { form: fields });
      expectStatus(reply, 302, `POST ${path}`);
      if (reply.location !== '/cart') throw new Error(`POST ${path} redirected to ${reply.location}, not /cart`);
    }
    this.add(size, 'd', 'GET /products/:id logged in', name, `${url}/products/${productId}`, withSession);
    this.add(size, 'e', 'POST /cart, /cart-delete-item in turn', name, url, withSession, {
      headers: { ...withSession, 'content-type': 'application/x-www-form-urlencoded' },
      requests: writes.map((path) => ({ method: 'POST' as const, path, body: new URLSearchParams(fields).toString() })),
      expectedStatus: 302,
    });
    this.add(size, 'c20', 'GET /products logged in, p99 run', name, `${url}/products`, withSession, {
      connections: p99Connections,
    });
  }

  private add(
    size: ShopSize,
    key: RunKey,
    label: string,
    server: string,
    url: string,
    headers: Record<string, string>,
    more: Partial<Scenario> = {},
  ): void {
    if (!this.options.wants(key)) return;
    this.scenarios.push({
      key,
      label,
      products: size.products,
      server,
      url,
      headers,
      expectedStatus: 200,
      usesEngine: true,
      ...more,
    });
  }

  private check(key: RunKey, what: string, page: string, expected: string, exceptCsrf = false): void {
    const { same, difference } = sameness(page, expected, exceptCsrf);
    this.samePages[key] = same;
    const verdict = same
      ? `the shop's page byte for byte${exceptCsrf ? " but for the session's CSRF token" : ''}`
      : `a page that DIFFERS from the shop's (WARNING): ${difference}`;
    console.log(`(${key}) ${what}: ${verdict}`);
  }
}
