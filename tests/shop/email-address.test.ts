import request from 'supertest';
import { AccountToken } from '../../src/accounts/account-token.model';
import { User } from '../../src/user.model';
import { linkPathIn } from '../helpers/mail';
import {
  csrfTokenIn,
  expectRedirect,
  logIn,
  newShopper,
  sessionsCollection,
  signUp,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';

// Confirming the address a shopper signed up with, and changing it: links mailed through a real
// SMTP server, each valid for 24 hours and once.

let shop: TestShop;
let clock = Date.now();

beforeAll(async () => {
  shop = await startTestShop('email', { now: () => clock });
});

afterAll(async () => {
  await shop.close();
});

async function confirmationLinkOf(email: string): Promise<string> {
  return linkPathIn(await shop.inbox.waitFor(email, /Confirm your email address/), '/verify-email/');
}

describe('confirmation', () => {
  test('signup mails a link; until it is opened the account says so, and shopping does not wait', async () => {
    const shopper = await newShopper(shop.app, 'new');
    const link = await confirmationLinkOf(shopper.email);
    const before = (await shopper.agent.get('/account').expect(200)).text;
    expect(before).toContain('not confirmed yet');
    await shopper.agent.get('/cart').expect(200);
    await shopper.agent.get('/orders').expect(200);

    expectRedirect(await shopper.agent.get(link), '/account');
    const after = (await shopper.agent.get('/account').expect(200)).text;
    expect(after).toContain('Your email address is confirmed.');
    expect(after).toContain('(confirmed)');
    expect((await User.findOne({ email: shopper.email }))!.emailVerified).toBe(true);
    // Once only.
    expect((await shopper.agent.get(link)).status).toBe(410);
  });

  test('a visitor who opens the link lands on the login page with the news', async () => {
    const email = `visitor-${Date.now()}@example.com`;
    await signUp(request.agent(shop.app), email, 'a good password');
    const agent = request.agent(shop.app);
    expectRedirect(await agent.get(await confirmationLinkOf(email)), '/login');
    expect((await agent.get('/login')).text).toContain('Your email address is confirmed.');
  });

  test('the account page sends the link again; the old one stops working', async () => {
    const shopper = await newShopper(shop.app, 'again');
    const first = await confirmationLinkOf(shopper.email);
    shop.inbox.clear();
    const _csrf = csrfTokenIn((await shopper.agent.get('/account')).text);
    expectRedirect(await shopper.agent.post('/account/verify-email').type('form').send({ _csrf }), '/account');
    const second = await confirmationLinkOf(shopper.email);
    expect(second).not.toBe(first);
    expect((await shopper.agent.get(first)).status).toBe(410);
    expectRedirect(await shopper.agent.get(second), '/account');
  });

  test('a link older than 24 hours is refused', async () => {
    const shopper = await newShopper(shop.app, 'late');
    const link = await confirmationLinkOf(shopper.email);
    clock += 24 * 60 * 60 * 1000 + 1;
    try {
      expect((await request(shop.app).get(link)).status).toBe(410);
    } finally {
      clock = Date.now();
    }
    expect((await User.findOne({ email: shopper.email }))!.emailVerified).toBe(false);
  });
});

describe('changing the address', () => {
  async function askForChange(shopper: Shopper, email: string, currentPassword = shopper.password) {
    const page = await shopper.agent.get('/account/email').expect(200);
    return shopper.agent
      .post('/account/email')
      .type('form')
      .send({ _csrf: csrfTokenIn(page.text), email, currentPassword });
  }

  test('the new address confirms by its link; the old one is told before and after', async () => {
    const shopper = await newShopper(shop.app, 'mover');
    const newEmail = `moved-${Date.now()}@example.com`;
    expectRedirect(await askForChange(shopper, newEmail), '/account');
    // Nothing changes until the new address confirms.
    expect(await User.exists({ email: shopper.email })).not.toBeNull();
    await shop.inbox.waitFor(shopper.email, /about to change/);
    const link = linkPathIn(await shop.inbox.waitFor(newEmail, /Confirm your new email address/), '/verify-email/');

    expectRedirect(await shopper.agent.get(link), '/account');
    expect((await shopper.agent.get('/account')).text).toContain(newEmail);
    await shop.inbox.waitFor(shopper.email, /has changed/);
    // The sessions show it, the new address logs in, the old one no longer does.
    const sessions = await sessionsCollection().find({ 'session.user.email': newEmail }).toArray();
    expect(sessions.length).toBeGreaterThan(0);
    expectRedirect(await logIn(request.agent(shop.app), newEmail, shopper.password), '/');
    expect((await logIn(request.agent(shop.app), shopper.email, shopper.password)).status).toBe(422);
  });

  test('the current password is asked for, and bad input keeps what was typed but the password', async () => {
    const shopper = await newShopper(shop.app, 'guarded');
    const wrong = await askForChange(shopper, 'elsewhere@example.com', 'not my password');
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not your current password.');
    expect(wrong.text).toContain('value="elsewhere@example.com"');
    expect(wrong.text).not.toContain('not my password');
    const bad = await askForChange(shopper, 'no address');
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('value="no address"');
    expect(shop.inbox.to('elsewhere@example.com')).toEqual([]);
  });

  test("another account's address gets the same answer, and nothing is sent to it", async () => {
    const shopper = await newShopper(shop.app, 'prober');
    const owner = await newShopper(shop.app, 'owner');
    // The signup mail goes out in the background: had it arrived after the clear, it would count.
    await confirmationLinkOf(owner.email);
    shop.inbox.clear();
    expectRedirect(await askForChange(shopper, owner.email), '/account');
    expect((await shopper.agent.get('/account')).text).toContain(`We have sent a link to ${owner.email}`);
    // No link was made for it (made before the answer, when there is one), so none can be mailed.
    expect(await AccountToken.countDocuments({ purpose: 'change-email', email: owner.email })).toBe(0);
    expect(shop.inbox.to(owner.email)).toEqual([]);
    expect(await User.exists({ email: shopper.email })).not.toBeNull();
  });
});
