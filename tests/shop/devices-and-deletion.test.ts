import request from 'supertest';
import mongoose from 'mongoose';
import { User } from '../../src/user.model';
import { describeUserAgent, shortAddress } from '../../src/accounts/devices';
import { Product } from '../../src/catalog/product.model';
import { Order } from '../../src/cart/order.model';
import {
  addProduct,
  csrfTokenIn,
  expectRedirect,
  logIn,
  newShopper,
  placeOrder,
  sessionCookieOf,
  sessionsCollection,
  startTestShop,
  type Agent,
  type Shopper,
  type TestShop,
} from '../helpers/shop';

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('devices');
});

afterAll(async () => {
  await shop.close();
});

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

/** Another browser of the same shopper, logged in with its own user agent. */
async function secondDevice(shopper: Shopper, userAgent: string): Promise<Agent> {
  const agent = request.agent(shop.app);
  agent.set('User-Agent', userAgent);
  expectRedirect(await logIn(agent, shopper.email, shopper.password), '/');
  return agent;
}

describe('your devices', () => {
  test('lists every live session in words, marks this one, and shows no session id', async () => {
    const shopper = await newShopper(shop.app, 'owner');
    await secondDevice(shopper, FIREFOX);
    await secondDevice(shopper, IPHONE);
    const page = await shopper.agent.get('/account/sessions').expect(200);
    expect(page.text).toContain('Firefox 128 on Linux');
    expect(page.text).toMatch(/Safari 17 on iOS/);
    expect(page.text).toContain('this device');
    expect(page.text).toContain('From 127.0.0.x');
    expect((page.text.match(/name="session" value="[0-9a-f]{32}"/g) ?? []).length).toBe(3);
    const user = await User.findOne({ email: shopper.email }).orFail();
    for (const session of await sessionsCollection().find({ 'session.user._id': user._id.toHexString() }).toArray()) {
      expect(page.text).not.toContain(session._id);
    }
  });

  test('logging out one device ends that session only', async () => {
    const shopper = await newShopper(shop.app, 'careful');
    const lost = await secondDevice(shopper, IPHONE);
    const kept = await secondDevice(shopper, FIREFOX);
    const page = (await shopper.agent.get('/account/sessions').expect(200)).text;
    const phone = /Safari 17 on iOS[\s\S]*?name="session" value="([0-9a-f]{32})"/.exec(page)![1];
    expectRedirect(
      await shopper.agent
        .post('/account/sessions/revoke')
        .type('form')
        .send({ _csrf: csrfTokenIn(page), session: phone }),
      '/account/sessions',
    );
    expect((await lost.get('/cart')).status).toBe(302);
    expect((await kept.get('/cart')).status).toBe(200);
    expect((await shopper.agent.get('/cart')).status).toBe(200);
  });

  test("another shopper's session, a made-up reference or a malformed one: 404, nothing ended", async () => {
    const shopper = await newShopper(shop.app, 'nosy');
    const victim = await newShopper(shop.app, 'victim');
    const victimPage = (await victim.agent.get('/account/sessions').expect(200)).text;
    const victimReference = /name="session" value="([0-9a-f]{32})"/.exec(victimPage)![1];
    const _csrf = csrfTokenIn((await shopper.agent.get('/account/sessions')).text);
    for (const session of [victimReference, 'f'.repeat(32), 'not a reference', ['a', 'b']]) {
      const response = await shopper.agent.post('/account/sessions/revoke').type('form').send({ _csrf, session });
      expect({ session, status: response.status }).toEqual({ session, status: 404 });
    }
    expect((await victim.agent.get('/cart')).status).toBe(200);
  });

  test('logging out this device is a logout', async () => {
    const shopper = await newShopper(shop.app, 'leaving');
    const page = (await shopper.agent.get('/account/sessions').expect(200)).text;
    const own = /this device[\s\S]*?name="session" value="([0-9a-f]{32})"/.exec(page)![1];
    expectRedirect(
      await shopper.agent
        .post('/account/sessions/revoke')
        .type('form')
        .send({ _csrf: csrfTokenIn(page), session: own }),
      '/login',
    );
    expect((await shopper.agent.get('/cart')).status).toBe(302);
  });

  test('over 100 sessions: newest login first, every one on some page, the oldest revocable from its page', async () => {
    const shopper = await newShopper(shop.app, 'many-devices');
    const userId = (await User.findOne({ email: shopper.email }).orFail())._id.toHexString();
    const own = await sessionsCollection().findOne({ 'session.user._id': userId });
    const loggedInAt = own!.session.loggedInAt!;
    // 120 earlier logins, a minute apart, as real logins leave them; the oldest from an old Firefox.
    const OLD_FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:60.0) Gecko/20100101 Firefox/60.0';
    const earlier = Array.from({ length: 120 }, (_, i) => ({
      ...own!,
      _id: `${own!._id}-earlier-${i}`,
      session: {
        ...own!.session,
        loggedInAt: loggedInAt - (i + 1) * 60_000,
        device: { userAgent: i === 119 ? OLD_FIREFOX : FIREFOX, address: '198.51.100.7' },
      },
    }));
    await sessionsCollection().insertMany(earlier);
    // Then an intruder logs in: the newest session of all.
    const intruder = await secondDevice(shopper, IPHONE);

    const devicesOn = (html: string) =>
      [...html.matchAll(/<p class="device__name"><strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
    const referencesOn = (html: string) =>
      [...html.matchAll(/name="session" value="([0-9a-f]{32})"/g)].map((m) => m[1]);
    const first = (await shopper.agent.get('/account/sessions').expect(200)).text;
    expect(devicesOn(first)[0]).toBe(describeUserAgent(IPHONE));
    expect(first).toContain('href="/account/sessions?page=2"');
    const lastPage = Math.max(
      ...[...first.matchAll(/href="\/account\/sessions\?page=(\d+)"/g)].map((m) => Number(m[1])),
    );

    // Every session is on exactly one page; the oldest closes the last.
    const references: string[] = [];
    let last = '';
    for (let page = 1; page <= lastPage; page++) {
      last = (await shopper.agent.get(page === 1 ? '/account/sessions' : `/account/sessions?page=${page}`).expect(200))
        .text;
      references.push(...referencesOn(last));
    }
    expect(new Set(references).size).toBe(references.length);
    expect(references.length).toBe(122);
    expect(devicesOn(last).at(-1)).toBe(describeUserAgent(OLD_FIREFOX));
    await shopper.agent
      .get(`/account/sessions?page=${lastPage + 1}`)
      .expect(302)
      .expect('Location', `/account/sessions?page=${lastPage}`);
    await shopper.agent.get('/account/sessions?page=0').expect(404);

    // The oldest ends from the last page, the intruder's from the first.
    const oldest = referencesOn(last).at(-1)!;
    expectRedirect(
      await shopper.agent
        .post('/account/sessions/revoke')
        .type('form')
        .send({ _csrf: csrfTokenIn(last), session: oldest }),
      '/account/sessions',
    );
    expect(await sessionsCollection().countDocuments({ _id: earlier[119]._id })).toBe(0);
    expectRedirect(
      await shopper.agent
        .post('/account/sessions/revoke')
        .type('form')
        .send({ _csrf: csrfTokenIn(first), session: referencesOn(first)[0] }),
      '/account/sessions',
    );
    expect((await intruder.get('/cart')).status).toBe(302);
    expect(await sessionsCollection().countDocuments({ 'session.user._id': userId })).toBe(120);
  });

  test('the user agent and the address in words', () => {
    expect(describeUserAgent(FIREFOX)).toBe('Firefox 128 on Linux');
    expect(describeUserAgent(undefined)).toBe('An unknown browser');
    expect(describeUserAgent('curl/8.5.0')).toMatch(/^curl|^A browser/);
    expect(shortAddress('203.0.113.77')).toBe('203.0.113.x');
    expect(shortAddress('::ffff:198.51.100.9')).toBe('198.51.100.x');
    expect(shortAddress('2001:db8:85a3:0:0:8a2e:370:7334')).toBe('2001:db8:85a3::…');
    expect(shortAddress('')).toBe('an unknown address');
  });
});

describe('deleting the account', () => {
  async function deleteAccount(shopper: Shopper, currentPassword: string) {
    const page = await shopper.agent.get('/account/delete').expect(200);
    return shopper.agent
      .post('/account/delete')
      .type('form')
      .send({ _csrf: csrfTokenIn(page.text), currentPassword });
  }

  test('asks for the password: a wrong one changes nothing', async () => {
    const shopper = await newShopper(shop.app, 'hesitant');
    const wrong = await deleteAccount(shopper, 'not my password');
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not your current password.');
    expect(wrong.text).not.toContain('not my password');
    expect(await User.exists({ email: shopper.email })).not.toBeNull();
  });

  test('ends every session, removes the products from the shop and every cart, keeps the orders without the email', async () => {
    const seller = await newShopper(shop.app, 'seller');
    const phone = await secondDevice(seller, IPHONE);
    const teaId = await addProduct(seller, { title: 'Farewell Tea', price: '4.00' });
    const mugId = await addProduct(seller, { title: 'Farewell Mug', price: '9.00' });
    // The seller bought something too; a buyer has the seller's tea in their cart.
    await seller.agent.post('/cart').type('form').send({ _csrf: seller.csrf, productId: mugId }).expect(302);
    await placeOrder(seller);
    const buyer = await newShopper(shop.app, 'buyer');
    await buyer.agent.post('/cart').type('form').send({ _csrf: buyer.csrf, productId: teaId }).expect(302);
    const sellerId = (await User.findOne({ email: seller.email }).orFail())._id;

    const deleted = await deleteAccount(seller, seller.password);
    expectRedirect(deleted, '/');
    expect((await seller.agent.get('/')).text).toContain('Your account has been deleted.');
    await shop.inbox.waitFor(seller.email, /Your account has been deleted/);

    expect(await User.exists({ _id: sellerId })).toBeNull();
    expect(await sessionsCollection().countDocuments({ 'session.user._id': sellerId.toHexString() })).toBe(0);
    expect((await phone.get('/cart')).status).toBe(302);
    expect(await Product.countDocuments({ userId: sellerId })).toBe(0);
    expect((await User.findOne({ email: buyer.email }).orFail()).cart.items).toEqual([]);
    const orders = await Order.find({ 'user.userId': sellerId }).lean();
    expect(orders).toHaveLength(1);
    expect(orders[0].user.email).toBeUndefined();
    expect(orders[0].items[0].title).toBe('Farewell Mug');
    // The old password opens nothing.
    expect((await logIn(request.agent(shop.app), seller.email, seller.password)).status).toBe(422);
  });

  test('needs the CSRF token', async () => {
    const shopper = await newShopper(shop.app, 'forged');
    await shopper.agent.post('/account/delete').type('form').send({ currentPassword: shopper.password }).expect(403);
    expect(await User.exists({ email: shopper.email })).not.toBeNull();
    expect(mongoose.connection.readyState).toBe(1);
    expect(await sessionCookieOf(shopper.agent)).toMatch(/^sid=/);
  });
});
