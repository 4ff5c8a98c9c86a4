import request from 'supertest';
import { AccountToken, tokenHash } from '../../src/accounts/account-token.model';
import { User } from '../../src/user.model';
import { linkPathIn } from '../helpers/mail';
import {
  expectRedirect,
  formCsrfTokenIn,
  logIn,
  newShopper,
  sessionCookieOf,
  startTestShop,
  type Agent,
  type TestShop,
} from '../helpers/shop';

// Password reset by a link mailed through a real SMTP server (the test's own).

let shop: TestShop;
let clock = Date.now();

beforeAll(async () => {
  shop = await startTestShop('reset', { now: () => clock });
});

afterAll(async () => {
  await shop.close();
});

async function askForReset(agent: Agent, email: string) {
  const page = await agent.get('/reset').expect(200);
  return agent
    .post('/reset')
    .type('form')
    .send({ _csrf: formCsrfTokenIn(page.text, '/reset'), email });
}

async function resetLinkOf(email: string): Promise<string> {
  return linkPathIn(await shop.inbox.waitFor(email, /Reset your password/), '/reset/');
}

async function chooseNewPassword(agent: Agent, link: string, password: string, confirmPassword = password) {
  const page = await agent.get(link);
  if (page.status !== 200) return page;
  const passwordToken = /name="passwordToken" value="([^"]+)"/.exec(page.text)?.[1];
  return agent
    .post('/new-password')
    .type('form')
    .send({ _csrf: formCsrfTokenIn(page.text, '/new-password'), passwordToken, password, confirmPassword });
}

test('the login page links to the reset form', async () => {
  const page = await request(shop.app).get('/login').expect(200);
  expect(page.text).toContain('<a href="/reset">Forgot your password?</a>');
});

test('an unknown address gets the same answer as a known one, and no mail', async () => {
  const shopper = await newShopper(shop.app, 'known');
  const unknown = `nobody-${Date.now()}@example.com`;
  const known = await askForReset(request.agent(shop.app), shopper.email);
  const other = await askForReset(request.agent(shop.app), unknown);
  expect(known.status).toBe(200);
  expect(other.status).toBe(200);
  // The same page but for the address it repeats.
  expect(known.text.replace(shopper.email, 'ADDRESS')).toBe(other.text.replace(unknown, 'ADDRESS'));
  expect(known.text).toContain('a link to choose a new password is on its way');
  await resetLinkOf(shopper.email);
  expect(shop.inbox.to(unknown)).toEqual([]);
});

test('the link works once: new password, other sessions ended, logged in on a new session', async () => {
  const shopper = await newShopper(shop.app, 'forgetful');
  const otherDevice = await sessionCookieOf(shopper.agent);
  await askForReset(request.agent(shop.app), shopper.email);
  const link = await resetLinkOf(shopper.email);
  const message = shop.inbox.to(shopper.email).find((mail) => /Reset/.test(mail.subject))!;
  // Text and HTML, the shop's name, and the link in both.
  expect(message.text).toContain('Session Shop');
  expect(message.html).toContain(link);
  expect(message.html).not.toMatch(/<img|<script/i);
  // The token is in the link only: the database has its hash.
  const token = link.split('/').pop()!;
  expect(await AccountToken.countDocuments({ _id: token })).toBe(0);
  expect(await AccountToken.countDocuments({ _id: tokenHash(token) })).toBe(1);

  const browser = request.agent(shop.app);
  const reset = await chooseNewPassword(browser, link, 'a brand new password');
  expectRedirect(reset, '/');
  const newSession = reset.headers['set-cookie'];
  expect(String(newSession)).toMatch(/sid=/);
  // Logged in, on a new session; the shopper's other session is over.
  expect((await browser.get('/cart')).status).toBe(200);
  expect((await request(shop.app).get('/cart').set('Cookie', otherDevice)).status).toBe(302);
  // The old password fails, the new one works.
  expect((await logIn(request.agent(shop.app), shopper.email, shopper.password)).status).toBe(422);
  expectRedirect(await logIn(request.agent(shop.app), shopper.email, 'a brand new password'), '/');
  // The link is used up.
  const again = await chooseNewPassword(request.agent(shop.app), link, 'yet another password');
  expect(again.status).toBe(410);
  expect(again.text).toContain('This link no longer works');
  expect((await User.findOne({ email: shopper.email }))!.emailVerified).toBe(true);
});

test('a link older than an hour is refused, and so is a made-up one', async () => {
  const shopper = await newShopper(shop.app, 'slow');
  await askForReset(request.agent(shop.app), shopper.email);
  const link = await resetLinkOf(shopper.email);
  clock += 60 * 60 * 1000 + 1;
  try {
    expect((await request(shop.app).get(link)).status).toBe(410);
    expect((await chooseNewPassword(request.agent(shop.app), link, 'too late now')).status).toBe(410);
  } finally {
    clock = Date.now();
  }
  for (const made of ['/reset/' + 'A'.repeat(43), '/reset/short', '/reset/%00', `/reset/${'x'.repeat(5000)}`]) {
    expect((await request(shop.app).get(made)).status).toBe(410);
  }
  // Still the old password.
  expectRedirect(await logIn(request.agent(shop.app), shopper.email, shopper.password), '/');
});

test('a new link replaces the one before', async () => {
  const shopper = await newShopper(shop.app, 'twice');
  await askForReset(request.agent(shop.app), shopper.email);
  const first = await resetLinkOf(shopper.email);
  shop.inbox.clear();
  await askForReset(request.agent(shop.app), shopper.email);
  const second = await resetLinkOf(shopper.email);
  expect(second).not.toBe(first);
  expect((await request(shop.app).get(first)).status).toBe(410);
  expect((await request(shop.app).get(second)).status).toBe(200);
});

test('a link mailed before the address changed no longer shows its form', async () => {
  const shopper = await newShopper(shop.app, 'moving');
  const expired = await request(shop.app)
    .get(`/reset/${'A'.repeat(43)}`)
    .expect(410);
  await askForReset(request.agent(shop.app), shopper.email);
  const link = await resetLinkOf(shopper.email);
  expect((await request(shop.app).get(link)).status).toBe(200);

  // The shopper moves to another address, through its confirmation link.
  const newEmail = `moved-${Date.now()}@example.com`;
  const form = await shopper.agent.get('/account/email').expect(200);
  await shopper.agent
    .post('/account/email')
    .type('form')
    .send({ _csrf: formCsrfTokenIn(form.text, '/account/email'), email: newEmail, currentPassword: shopper.password })
    .expect(302);
  const confirm = linkPathIn(await shop.inbox.waitFor(newEmail, /Confirm your new email address/), '/verify-email/');
  expectRedirect(await shopper.agent.get(confirm), '/account');

  // The old link: the same answer as a link that never existed, and it cannot be used either.
  const old = await request(shop.app).get(link);
  expect(old.status).toBe(410);
  expect(old.text).toBe(expired.text);
  expect((await chooseNewPassword(request.agent(shop.app), link, 'taken over now')).status).toBe(410);
  expectRedirect(await logIn(request.agent(shop.app), newEmail, shopper.password), '/');
});

test('bad input: 422 that keeps the address typed, never a password', async () => {
  const agent = request.agent(shop.app);
  const bad = await askForReset(agent, 'not an address');
  expect(bad.status).toBe(422);
  expect(bad.text).toContain('value="not an address"');
  const shopper = await newShopper(shop.app, 'mismatch');
  await askForReset(request.agent(shop.app), shopper.email);
  const link = await resetLinkOf(shopper.email);
  const mismatch = await chooseNewPassword(request.agent(shop.app), link, 'one long password', 'another long one');
  expect(mismatch.status).toBe(422);
  expect(mismatch.text).toContain('The passwords do not match.');
  expect(mismatch.text).not.toContain('one long password');
  // The link survives a form error.
  expectRedirect(await chooseNewPassword(request.agent(shop.app), link, 'one long password'), '/');
});

test('both forms need their CSRF token', async () => {
  await request(shop.app).post('/reset').type('form').send({ email: 'a@example.com' }).expect(403);
  await request(shop.app)
    .post('/new-password')
    .type('form')
    .send({ passwordToken: 'A'.repeat(43), password: 'long enough!', confirmPassword: 'long enough!' })
    .expect(403);
});
