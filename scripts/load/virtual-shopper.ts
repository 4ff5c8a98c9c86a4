/**
 * One virtual shopper of the load test: signs up once, then, until the time is up, logs in,
 * browses, adds to the cart, usually checks out, and logs out. Its ledger keeps what the shop
 * acknowledged, which the database check compares with what the database holds.
 */
import type { Ledger } from '../../tools/database-checks';
import { productIdsIn, shortCartLines, showsLogout } from '../../tools/html';
import { ShopClient, type ShopReply } from '../../tools/shop-client';
import type { Recorder } from './recorder';

export interface ShopperOptions {
  baseUrl: string;
  email: string;
  recorder: Recorder;
  /** Stop starting requests at this time (ms since the epoch). */
  deadline: number;
  /** Product ids to fall back on when a page shows none. */
  productIds: readonly string[];
  /** The default run's production-mode shop is behind a TLS proxy, which the shopper plays. */
  behindHttpsProxy?: boolean;
  /** An https:// base URL: the certificate to trust (the stack's own), or none checked (`insecure`). */
  ca?: string;
  insecure?: boolean;
  /** Share of logins that first try a wrong password (a 422 by design). */
  wrongPasswordShare?: number;
  /** Share of visits that end with an order (the others leave their items in the cart). */
  orderShare?: number;
  random?: () => number;
}

const PASSWORD = 'load-test password';
/** What the checkout form sends with "Place order". */
const SHIPPING_ADDRESS = {
  name: 'Load Tester',
  street: '1 Test Street',
  postcode: '10115',
  city: 'Berlin',
  country: 'DE',
};
/** Where an order sends the shopper: its confirmation page. */
const CONFIRMATION = /^\/orders\/[0-9a-f]{24}\/confirmation$/;

/** A proxy's answers when the process behind it failed mid-request: the request may have been applied. */
const PROXY_GAVE_UP = new Set([502, 504]);

/** The time is up: the visit ends where it is. */
class TimeUp extends Error {}

/** The answer was not what the scenario expects: recorded, and the visit starts over. */
class UnexpectedAnswer extends Error {}

export class VirtualShopper {
  readonly ledger: Ledger;
  private client: ShopClient;
  private signedUp = false;
  /** The current browser holds a login (the shop acknowledged one and no logout since). */
  private loggedIn = false;
  private readonly random: () => number;

  constructor(private readonly options: ShopperOptions) {
    this.ledger = { email: options.email, addedUnits: new Map(), orders: 0, uncertain: 0 };
    this.random = options.random ?? Math.random;
    this.client = this.newBrowser();
  }

  async run(): Promise<void> {
    while (Date.now() < this.options.deadline) {
      try {
        await this.visit();
      } catch (error) {
        if (error instanceof TimeUp) return;
        if (!(error instanceof UnexpectedAnswer)) throw error;
        // After a surprise, a fresh browser: whatever state the last one was in is not reused. The
        // old one logs out first, as a person would, so that its session does not linger.
        if (this.loggedIn) await this.client.postForm('/logout').catch(() => undefined);
        this.client = this.newBrowser();
      }
    }
  }

  private newBrowser(): ShopClient {
    return new ShopClient(this.options.baseUrl, {
      behindHttpsProxy: this.options.behindHttpsProxy,
      ca: this.options.ca,
      insecure: this.options.insecure,
      onRequest: (label, outcome) => {
        this.options.recorder.record(label, outcome.ms);
        const process = 'headers' in outcome ? outcome.headers['x-shop-process'] : undefined;
        if (typeof process === 'string') this.options.recorder.servedByProcess(this.ledger.email, process);
      },
    });
  }

  private async visit(): Promise<void> {
    if (!this.signedUp) {
      await this.step(
        'GET /signup',
        () => this.client.get('/signup'),
        (r) => r.status === 200,
      );
      await this.step(
        'POST /signup',
        () =>
          this.client.postForm('/signup', { email: this.ledger.email, password: PASSWORD, confirmPassword: PASSWORD }),
        (r) => r.status === 302,
      );
      this.signedUp = true;
    }

    await this.step(
      'GET /login',
      () => this.client.get('/login'),
      (r) => r.status === 200,
    );
    if (this.random() < (this.options.wrongPasswordShare ?? 0.1)) {
      const reply = await this.step(
        'POST /login (wrong password)',
        () =>
          this.client.postForm(
            '/login',
            { email: this.ledger.email, password: 'not the password' },
            'POST /login (wrong password)',
          ),
        (r) => r.status === 422,
      );
      if (reply.status === 422) this.options.recorder.expectedRefusals++;
    }
    this.loggedIn = false;
    await this.step(
      'POST /login',
      () => this.client.postForm('/login', { email: this.ledger.email, password: PASSWORD }),
      (r) => r.status === 302,
      () => (this.loggedIn = true),
      () => (this.ledger.unansweredLogins = (this.ledger.unansweredLogins ?? 0) + 1),
    );

    // Logged in: the navigation offers logout, the product grid offers add-to-cart forms.
    const home = await this.step(
      'GET /',
      () => this.client.get('/'),
      (r) => r.status === 200 && showsLogout(r.body),
    );
    const products = await this.step(
      'GET /products',
      () => this.client.get('/products'),
      (r) => r.status === 200,
    );
    const ids = productIdsIn(products.body + home.body);
    const choices = ids.length > 0 ? ids : this.options.productIds;
    const productPath = `/products/${this.pick(choices)}`;
    await this.step(
      'GET /products/:id',
      () => this.client.get(productPath, 'GET /products/:id'),
      (r) => r.status === 200,
    );

    // As the page's forms do: each add comes back to the product page it was sent from. A product
    // whose units the cart already holds all of (or that is out of stock) is refused: 409, by design.
    const adds = 1 + Math.floor(this.random() * 4);
    for (let i = 0; i < adds; i++) {
      const productId = this.pick(choices);
      const reply = await this.step(
        'POST /cart',
        () => this.client.postForm('/cart', { productId, returnTo: productPath }),
        (r) => (r.status === 302 && r.location === productPath) || r.status === 409,
        undefined,
        () => this.ledger.uncertain++,
      );
      if (reply.status === 302) this.ledger.addedUnits.set(productId, (this.ledger.addedUnits.get(productId) ?? 0) + 1);
      else this.options.recorder.refusedAdds++;
    }
    const cart = await this.step(
      'GET /cart',
      () => this.client.get('/cart'),
      (r) => r.status === 200,
    );
    // Lines the stock can no longer cover are taken out, as a shopper reading the cart would.
    await this.removeShortLines(cart.body);

    if (cart.body.includes('href="/checkout"') && this.random() < (this.options.orderShare ?? 0.7)) {
      await this.step(
        'GET /checkout',
        () => this.client.get('/checkout'),
        (r) => r.status === 200 && r.body.includes('action="/create-order"'),
      );
      // Another tab of the same browser loads a page while the order is placed, as shoppers with
      // several tabs (or a slow confirmation) do: the shop must not treat the order in progress as
      // one a crash interrupted. Both are answered before the visit goes on or starts over.
      // Units others took meanwhile: the checkout again (409) naming the short lines, nothing ordered.
      const [placed, otherTab] = await Promise.allSettled([
        this.step(
          'POST /create-order',
          () => this.client.postForm('/create-order', SHIPPING_ADDRESS),
          (r) => (r.status === 302 && CONFIRMATION.test(r.location ?? '')) || r.status === 409,
          undefined,
          () => this.ledger.uncertain++,
        ),
        this.step(
          'GET / (another tab)',
          () => this.client.get('/', 'GET / (another tab)'),
          (r) => r.status === 200,
        ),
      ]);
      if (placed.status === 'rejected') throw placed.reason;
      if (otherTab.status === 'rejected') throw otherTab.reason;
      if (placed.value.status === 409) this.options.recorder.shortOrders++;
      else {
        this.ledger.orders++;
        await this.step(
          'GET /orders/:id/confirmation',
          () => this.client.get(placed.value.location ?? '', 'GET /orders/:id/confirmation'),
          (r) => r.status === 200,
        );
        await this.step(
          'GET /orders',
          () => this.client.get('/orders'),
          (r) => r.status === 200,
        );
      }
    }

    await this.step(
      'POST /logout',
      () => this.client.postForm('/logout'),
      (r) => r.status === 302,
      () => (this.loggedIn = false),
    );
  }

  /**
   * One request: not started once the time is up; its answer checked; `acknowledged` runs when it
   * is the answer expected. A request without an answer, or answered by the proxy because the
   * process behind it died (502, 504), may or may not have happened: `uncertain` runs then.
   */
  private async step(
    label: string,
    send: () => Promise<ShopReply>,
    expected: (reply: ShopReply) => boolean,
    acknowledged?: () => void,
    uncertain?: () => void,
  ): Promise<ShopReply> {
    if (Date.now() >= this.options.deadline) throw new TimeUp();
    const startedAt = Date.now();
    let reply: ShopReply;
    try {
      reply = await send();
    } catch (error) {
      uncertain?.();
      this.options.recorder.fail(label, `no answer: ${error instanceof Error ? error.message : String(error)}`, {
        startedAt,
        endedAt: Date.now(),
      });
      throw new UnexpectedAnswer();
    }
    if (!expected(reply)) {
      if (PROXY_GAVE_UP.has(reply.status)) uncertain?.();
      this.options.recorder.fail(label, `${reply.status}${reply.location ? ` to ${reply.location}` : ''}`, {
        status: reply.status,
        startedAt,
        endedAt: Date.now(),
      });
      throw new UnexpectedAnswer();
    }
    acknowledged?.();
    return reply;
  }

  /** Removes the cart's lines that have fewer units left than they hold; the ledger forgets their units. */
  private async removeShortLines(cartPage: string): Promise<void> {
    for (const { productId, quantity } of shortCartLines(cartPage)) {
      await this.step(
        'POST /cart-delete-item',
        () => this.client.postForm('/cart-delete-item', { productId }),
        (r) => r.status === 302,
        () => this.ledger.addedUnits.set(productId, (this.ledger.addedUnits.get(productId) ?? 0) - quantity),
        () => this.ledger.uncertain++,
      );
    }
  }

  private pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)];
  }
}
