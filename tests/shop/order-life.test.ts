import mongoose from 'mongoose';
import request from 'supertest';
import { Order } from '../../src/cart/order.model';
import { Product } from '../../src/catalog/product.model';
import { User } from '../../src/user.model';
import { commandsDuring } from '../helpers/commands';
import { capturingLogger } from '../helpers/logs';
import { linkPathIn } from '../helpers/mail';
import { pdfTextLines } from '../helpers/pdf-text';
import {
  addProduct,
  csrfTokenFor,
  expectRedirect,
  logIn,
  newShopper,
  placeOrder,
  signUp,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';
import { rowOf, textOf } from '../helpers/tables';

/*
 * Issue 23: an order's life (shipped, delivered, cancelled, each mailed to the buyer through the
 * real SMTP server), the sellers' orders (their lines only: another seller's order is a 404),
 * the navigation's "Orders to send", and the admins of ADMIN_EMAILS (every order, cancel any
 * placed one, hide a product), each of their actions in the security log; nobody else reaches
 * what is theirs.
 */

const ADMIN_EMAIL = `admin-${Date.now()}@example.com`;
const IMPOSTOR_EMAIL = `boss-${Date.now()}@example.com`;
const PASSWORD = 'correct horse battery';
const log = capturingLogger();

let shop: TestShop;
let alice: Shopper;
let bob: Shopper;
let buyer: Shopper;
let admin: Shopper;
let teaId: string;
let potId: string;

beforeAll(async () => {
  shop = await startTestShop('order_life', {
    config: { adminEmails: [ADMIN_EMAIL, IMPOSTOR_EMAIL] },
    catalogCache: { cacheMs: 0 },
    logger: log.logger,
  });
  alice = await newShopper(shop.app, 'alice');
  bob = await newShopper(shop.app, 'bob');
  buyer = await newShopper(shop.app, 'buyer');
  teaId = await addProduct(alice, { title: 'Alice Tea', price: '4.00', stock: '20' });
  potId = await addProduct(bob, { title: 'Bob Teapot', price: '30.00', stock: '5' });
  admin = await confirmedShopper(ADMIN_EMAIL);
});

afterAll(async () => {
  await shop.close();
});

/** Signs up with `email`, opens the confirmation link mailed to it, logs in. */
async function confirmedShopper(email: string): Promise<Shopper> {
  const agent = request.agent(shop.app);
  expectRedirect(await signUp(agent, email, PASSWORD), '/login');
  const link = linkPathIn(await shop.inbox.waitFor(email, /Confirm your email address/), '/verify-email/');
  await agent.get(link);
  expectRedirect(await logIn(agent, email, PASSWORD), '/');
  return { agent, email, password: PASSWORD, csrf: await csrfTokenFor(agent, '/') };
}

function post(shopper: Shopper, path: string, fields: Record<string, unknown>) {
  return shopper.agent
    .post(path)
    .type('form')
    .send({ _csrf: shopper.csrf, ...fields });
}

/** An order of the buyer holding 2 of Alice's tea and 1 of Bob's teapot. */
async function mixedOrder(): Promise<string> {
  for (const productId of [teaId, teaId, potId]) await post(buyer, '/cart', { productId }).expect(302);
  return placeOrder(buyer);
}

async function orderOf(orderId: string) {
  return (await Order.findById(orderId).lean())!;
}

async function toSendOf(shopper: Shopper): Promise<string[]> {
  const user = await User.findOne({ email: shopper.email }).lean();
  return (user?.ordersToSend ?? []).map((id) => id.toHexString());
}

function securityEvents(event: string) {
  return log.lines.filter((line) => line.log === 'security' && line.event === event);
}

describe("the sellers' orders", () => {
  test('each seller sees the order with their lines only, the address and the status', async () => {
    const orderId = await mixedOrder();
    const number = String((await orderOf(orderId)).number);
    const page = await alice.agent.get('/admin/orders').expect(200);
    expect(textOf(page.text)).toContain(`Order ${number}`);
    expect(rowOf(page.text, 'Alice Tea')).toEqual(['Alice Tea', '$4.00', '2', '$8.00', 'Not yet']);
    expect(rowOf(page.text, 'Bob Teapot')).toBeUndefined();
    expect(textOf(page.text)).toContain('Ada Lovelace 12 Example Street SW1Y 4JH London United Kingdom');
    expect(textOf(page.text)).toContain('Status Placed');
    const bobs = await bob.agent.get('/admin/orders').expect(200);
    expect(rowOf(bobs.text, 'Bob Teapot')).toEqual(['Bob Teapot', '$30.00', '1', '$30.00', 'Not yet']);
    expect(rowOf(bobs.text, 'Alice Tea')).toBeUndefined();
    // Someone with no products: an empty list, not a 404 (the page is every seller's own).
    const nobody = await newShopper(shop.app, 'nobody');
    expect(textOf((await nobody.agent.get('/admin/orders').expect(200)).text)).toContain(
      'Nobody has ordered your products yet.',
    );
    // Each seller heard of it by mail, with their lines and the address.
    const mail = await shop.inbox.waitFor(alice.email, new RegExp(`New order ${number}`));
    expect(mail.text).toContain('2 × Alice Tea, $8.00');
    expect(mail.text).not.toContain('Bob Teapot');
    expect(mail.text).toContain('SW1Y 4JH London');
    await shop.inbox.waitFor(bob.email, new RegExp(`New order ${number}`));
  });

  test('shipping: each seller their own lines; the order is shipped once all are, and the buyer is mailed', async () => {
    const orderId = await mixedOrder();
    expect(await toSendOf(alice)).toContain(orderId);
    await post(alice, '/admin/orders/ship', { orderId }).expect(302).expect('Location', '/admin/orders');
    let order = await orderOf(orderId);
    expect(order.items.map((item) => item.shippedAt !== undefined)).toEqual([true, false]);
    expect(order.status).toBe('placed');
    expect(await toSendOf(alice)).not.toContain(orderId);
    expect(await toSendOf(bob)).toContain(orderId);
    // Shipping again changes nothing: 409, the page saying so.
    const again = await post(alice, '/admin/orders/ship', { orderId }).expect(409);
    expect(again.text).toContain('nothing of yours was waiting for that');

    await post(bob, '/admin/orders/ship', { orderId }).expect(302);
    order = await orderOf(orderId);
    expect(order.status).toBe('shipped');
    expect(order.history?.map((event) => event.status)).toEqual(['placed', 'shipped']);
    const number = String(order.number);
    const shipped = await shop.inbox.waitFor(buyer.email, new RegExp(`Your order ${number} is on its way`));
    expect(shipped.text).toContain('2 × Alice Tea, $8.00');
    expect(shipped.text).toContain('1 × Bob Teapot, $30.00');

    // The buyer's pages and invoice say so.
    const orders = await buyer.agent.get('/orders').expect(200);
    expect(textOf(orders.text)).toMatch(new RegExp(`Order ${number} .*Status Shipped Placed .* Shipped `));
    const confirmation = await buyer.agent.get(`/orders/${orderId}/confirmation`).expect(200);
    expect(textOf(confirmation.text)).toContain('Status Shipped');
    expect(confirmation.text).not.toContain('action="/orders/cancel"');
    const invoice = await buyer.agent.get(`/orders/${orderId}/invoice`).responseType('blob').expect(200);
    expect(pdfTextLines(invoice.body as Buffer)).toContain('Status: Shipped');

    // Delivery: each seller's shipped lines; the order is delivered once all are.
    await post(alice, '/admin/orders/deliver', { orderId }).expect(302);
    expect((await orderOf(orderId)).status).toBe('shipped');
    await post(bob, '/admin/orders/deliver', { orderId }).expect(302);
    order = await orderOf(orderId);
    expect(order.status).toBe('delivered');
    expect(order.history?.map((event) => event.status)).toEqual(['placed', 'shipped', 'delivered']);
    await shop.inbox.waitFor(buyer.email, new RegExp(`Your order ${number} has been delivered`));
    await post(bob, '/admin/orders/deliver', { orderId }).expect(409);
  });

  test("a seller cannot see, ship or deliver another seller's order: 404, nothing changed", async () => {
    const carol = await newShopper(shop.app, 'carol');
    const carolsId = await addProduct(carol, { title: 'Carol Honey', price: '7.00' });
    await post(buyer, '/cart', { productId: carolsId }).expect(302);
    const orderId = await placeOrder(buyer);
    const page = await alice.agent.get('/admin/orders').expect(200);
    expect(page.text).not.toContain(orderId);
    expect(page.text).not.toContain('Carol Honey');
    await post(alice, '/admin/orders/ship', { orderId }).expect(404);
    await post(alice, '/admin/orders/deliver', { orderId }).expect(404);
    // Nor cancel it: it is the buyer's.
    await post(alice, '/orders/cancel', { orderId }).expect(404);
    const order = await orderOf(orderId);
    expect(order.status).toBe('placed');
    expect(order.items[0].shippedAt).toBeUndefined();
  });

  test('hostile ids and missing CSRF tokens on every new POST: 4xx, nothing changed', async () => {
    const orderId = await mixedOrder();
    const productId = teaId;
    const hostile: unknown[] = [
      undefined,
      '',
      'zzz',
      `${orderId}0`,
      new mongoose.Types.ObjectId().toHexString(),
      { $ne: null },
      [orderId],
    ];
    for (const path of ['/admin/orders/ship', '/admin/orders/deliver', '/orders/cancel']) {
      for (const value of hostile) {
        const response = await alice.agent.post(path).send({ _csrf: alice.csrf, orderId: value });
        expect({ path, value, status: response.status }).toEqual({ path, value, status: 404 });
      }
      await alice.agent.post(path).type('form').send({ orderId }).expect(403);
      await alice.agent.post(path).type('form').send({ orderId, _csrf: 'forged' }).expect(403);
    }
    for (const path of ['/admin/hide-product', '/admin/show-product']) {
      for (const value of hostile) {
        const response = await admin.agent.post(path).send({ _csrf: admin.csrf, productId: value });
        expect({ path, value, status: response.status }).toEqual({ path, value, status: 404 });
      }
      await admin.agent.post(path).type('form').send({ productId }).expect(403);
    }
    const order = await orderOf(orderId);
    expect(order.status).toBe('placed');
    expect(order.items.every((item) => item.shippedAt === undefined)).toBe(true);
    expect((await Product.findById(teaId).lean())?.hidden).toBeUndefined();
  });
});

describe('the navigation\'s "Orders to send"', () => {
  test('counts from the User the session brings: one read per page, mended by the orders page', async () => {
    const dora = await newShopper(shop.app, 'dora');
    const jamId = await addProduct(dora, { title: 'Dora Jam', price: '5.00' });
    const navCount = async () => {
      const page = await dora.agent.get('/products').expect(200);
      return /Orders to send <span class="main-nav__cart-count">(\d+)/.exec(page.text)?.[1];
    };
    expect(await navCount()).toBeUndefined();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      await post(buyer, '/cart', { productId: jamId }).expect(302);
      ids.push(await placeOrder(buyer));
    }
    expect(await navCount()).toBe('2');
    const recorded = await commandsDuring(shop.store, () => dora.agent.get('/cart').expect(200));
    expect(recorded.on('sessions')).toEqual(['aggregate sessions']);
    expect(recorded.on('users')).toEqual([]);

    await post(dora, '/admin/orders/ship', { orderId: ids[0] }).expect(302);
    expect(await navCount()).toBe('1');
    // A crash between an order's write and the list's leaves it astray; the orders page mends it.
    const user = await User.findOne({ email: dora.email });
    await User.updateOne(
      { _id: user!._id },
      { $set: { ordersToSend: [new mongoose.Types.ObjectId(ids[0]), new mongoose.Types.ObjectId()] } },
    );
    expect(await navCount()).toBe('2');
    await dora.agent.get('/admin/orders').expect(200);
    expect(await toSendOf(dora)).toEqual([ids[1]]);
    expect(await navCount()).toBe('1');
  });
});

describe('admins', () => {
  test('an admin sees every order and every line, and ships, delivers and cancels any', async () => {
    const orderId = await mixedOrder();
    const page = await admin.agent.get('/admin/orders').expect(200);
    expect(textOf(page.text)).toContain('All orders');
    expect(page.text).toContain(`value="${orderId}"`);
    expect(rowOf(page.text, 'Alice Tea')).toBeDefined();
    expect(rowOf(page.text, 'Bob Teapot')).toBeDefined();

    await post(admin, '/admin/orders/ship', { orderId }).expect(302);
    expect((await orderOf(orderId)).status).toBe('shipped');
    expect(await toSendOf(alice)).not.toContain(orderId);
    expect(await toSendOf(bob)).not.toContain(orderId);
    await post(admin, '/admin/orders/deliver', { orderId }).expect(302);
    expect((await orderOf(orderId)).status).toBe('delivered');

    const second = await mixedOrder();
    const stockBefore = (await Product.findById(potId).lean())?.stock;
    await post(admin, '/orders/cancel', { orderId: second, returnTo: '/admin/orders' })
      .expect(302)
      .expect('Location', '/admin/orders');
    expect((await orderOf(second)).status).toBe('cancelled');
    expect((await Product.findById(potId).lean())?.stock).toBe(stockBefore! + 1);
    const number = String((await orderOf(second)).number);
    await shop.inbox.waitFor(buyer.email, new RegExp(`Your order ${number} has been cancelled`));

    const adminId = (await User.findOne({ email: ADMIN_EMAIL }).lean())!._id.toHexString();
    for (const [event, target] of [
      ['admin-orders-viewed', undefined],
      ['admin-order-shipped', orderId],
      ['admin-order-delivered', orderId],
      ['admin-order-cancelled', second],
    ]) {
      expect(securityEvents(event!)).toEqual(
        expect.arrayContaining([expect.objectContaining({ userId: adminId, ...(target ? { target } : {}) })]),
      );
    }
  });

  test('an admin hides a product: gone from lists, search, its page and carts; still in orders and invoices; shown again', async () => {
    const hiddenId = await addProduct(alice, { title: 'Questionable Brew', price: '9.00', stock: '10' });
    const holder = await newShopper(shop.app, 'holder');
    await post(buyer, '/cart', { productId: hiddenId }).expect(302);
    const orderId = await placeOrder(buyer);
    await post(holder, '/cart', { productId: hiddenId }).expect(302);

    const productPage = await admin.agent.get(`/products/${hiddenId}`).expect(200);
    expect(productPage.text).toContain('action="/admin/hide-product"');
    await post(admin, '/admin/hide-product', { productId: hiddenId, returnTo: '/admin/hidden-products' })
      .expect(302)
      .expect('Location', '/admin/hidden-products');

    // (the holder's first page shows the flash of their add: the product's link is what counts)
    expect((await holder.agent.get('/products').expect(200)).text).not.toContain(`/products/${hiddenId}`);
    expect((await holder.agent.get('/products?q=questionable').expect(200)).text).not.toContain(
      `/products/${hiddenId}`,
    );
    await holder.agent.get(`/products/${hiddenId}`).expect(404);
    expect((await User.findOne({ email: holder.email }).lean())?.cart.items).toEqual([]);
    await post(holder, '/cart', { productId: hiddenId }).expect(404);
    // The order keeps it; its seller still sees it, marked.
    expect(rowOf((await buyer.agent.get('/orders').expect(200)).text, 'Questionable Brew')).toEqual([
      'Questionable Brew',
      '$9.00',
      '1',
      '$9.00',
    ]);
    const invoice = await buyer.agent.get(`/orders/${orderId}/invoice`).responseType('blob').expect(200);
    expect(pdfTextLines(invoice.body as Buffer).some((line) => line.startsWith('Questionable Brew'))).toBe(true);
    expect(textOf((await alice.agent.get('/admin/products').expect(200)).text)).toContain(
      'Hidden from the shop by an admin',
    );
    const hiddenList = await admin.agent.get('/admin/hidden-products').expect(200);
    expect(textOf(hiddenList.text)).toContain('Questionable Brew');

    await post(admin, '/admin/show-product', { productId: hiddenId }).expect(302);
    expect((await holder.agent.get('/products?q=questionable').expect(200)).text).toContain('Questionable Brew');
    await holder.agent.get(`/products/${hiddenId}`).expect(200);

    const adminId = (await User.findOne({ email: ADMIN_EMAIL }).lean())!._id.toHexString();
    expect(securityEvents('admin-product-hidden')).toEqual([
      expect.objectContaining({ userId: adminId, target: hiddenId }),
    ]);
    expect(securityEvents('admin-product-shown')).toEqual([
      expect.objectContaining({ userId: adminId, target: hiddenId }),
    ]);
  });

  test("nobody else reaches what is an admin's: 404, also with an admin's address not confirmed", async () => {
    const impostorAgent = request.agent(shop.app);
    expectRedirect(await signUp(impostorAgent, IMPOSTOR_EMAIL, PASSWORD), '/login');
    expectRedirect(await logIn(impostorAgent, IMPOSTOR_EMAIL, PASSWORD), '/');
    const impostor: Shopper = {
      agent: impostorAgent,
      email: IMPOSTOR_EMAIL,
      password: PASSWORD,
      csrf: await csrfTokenFor(impostorAgent, '/'),
    };
    const orderId = await mixedOrder();
    for (const shopper of [impostor, alice]) {
      await shopper.agent.get('/admin/hidden-products').expect(404);
      await post(shopper, '/admin/hide-product', { productId: potId }).expect(404);
      await post(shopper, '/admin/show-product', { productId: potId }).expect(404);
      await post(shopper, '/orders/cancel', { orderId }).expect(404);
      // Their own pages under /admin/ stay theirs.
      await shopper.agent.get('/admin/products').expect(200);
      const orders = await shopper.agent.get('/admin/orders').expect(200);
      expect(textOf(orders.text)).not.toContain('All orders');
      expect(orders.text).not.toContain('Hidden products');
    }
    // A visitor is sent to log in for the sellers' pages, and finds no admin page either.
    await request(shop.app).get('/admin/orders').expect(302).expect('Location', '/login?returnTo=%2Fadmin%2Forders');
    expect((await orderOf(orderId)).status).toBe('placed');
    expect((await Product.findById(potId).lean())?.hidden).toBeUndefined();
  });
});
