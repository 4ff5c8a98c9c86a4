import request from 'supertest';
import {
  csrfTokenIn,
  expectRedirect,
  logIn,
  newShopper,
  sessionIdSetBy,
  sessionsCollection,
  startTestShop,
  type Agent,
  type TestShop,
} from '../helpers/shop';

// The account area: log out everywhere, password change, and the flash messages they leave.

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('account');
});

afterAll(async () => {
  await shop.close();
});

async function isLoggedIn(agent: Agent): Promise<boolean> {
  const response = await agent.get('/cart');
  return response.status === 200;
}

async function csrfOf(agent: Agent, page = '/account'): Promise<string> {
  return csrfTokenIn((await agent.get(page).expect(200)).text);
}

function sessionsOf(userEmail: string) {
  return sessionsCollection().countDocuments({ 'session.user.email': userEmail });
}

describe('log out everywhere', () => {
  test('ends every session of the shopper, on every device, and no one else’s', async () => {
    const shopper = await newShopper(shop.app, 'everywhere');
    const laptop = request.agent(shop.app);
    expectRedirect(await logIn(laptop, shopper.email, shopper.password), '/');
    const someoneElse = await newShopper(shop.app, 'bystander');
    expect(await sessionsOf(shopper.email)).toBe(2);

    const page = await shopper.agent.get('/account').expect(200);
    expect(page.text).toContain('action="/account/logout-everywhere"');
    const response = await shopper.agent
      .post('/account/logout-everywhere')
      .type('form')
      .send({ _csrf: csrfTokenIn(page.text) });
    expectRedirect(response, '/login');

    expect(await sessionsOf(shopper.email)).toBe(0);
    expect(await isLoggedIn(shopper.agent)).toBe(false);
    expect(await isLoggedIn(laptop)).toBe(false);
    expect(await isLoggedIn(someoneElse.agent)).toBe(true);
  });

  test('tells the shopper on the login page, once', async () => {
    const shopper = await newShopper(shop.app, 'told');
    await shopper.agent
      .post('/account/logout-everywhere')
      .type('form')
      .send({ _csrf: await csrfOf(shopper.agent) });
    expect((await shopper.agent.get('/login').expect(200)).text).toContain('You have been logged out on every device.');
    expect((await shopper.agent.get('/login').expect(200)).text).not.toContain('logged out on every device');
  });

  test('needs a login and a CSRF token', async () => {
    await request(shop.app).get('/account').expect(302).expect('Location', '/login?returnTo=%2Faccount');
    const shopper = await newShopper(shop.app, 'forged');
    await shopper.agent.post('/account/logout-everywhere').type('form').send({ _csrf: 'wrong' }).expect(403);
    expect(await isLoggedIn(shopper.agent)).toBe(true);
  });
});

describe('password change', () => {
  const newPassword = 'a brand new passphrase';

  async function changePassword(agent: Agent, fields: Record<string, string>) {
    return agent
      .post('/account/password')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/account/password'), ...fields });
  }

  test('gives the session a new id, ends the other sessions, and only the new password logs in', async () => {
    const shopper = await newShopper(shop.app, 'changer');
    const otherDevice = request.agent(shop.app);
    expectRedirect(await logIn(otherDevice, shopper.email, shopper.password), '/');
    const before = await sessionsCollection().find({ 'session.user.email': shopper.email }).toArray();
    expect(before).toHaveLength(2);

    const response = await changePassword(shopper.agent, {
      currentPassword: shopper.password,
      password: newPassword,
      confirmPassword: newPassword,
    });
    expectRedirect(response, '/account');
    const newId = sessionIdSetBy(response);
    expect(newId).toBeDefined();
    const after = await sessionsCollection().find({ 'session.user.email': shopper.email }).toArray();
    expect(after.map((s) => s._id)).toEqual([newId]);
    expect(before.map((s) => s._id)).not.toContain(newId);

    // This device goes on, and is told; the other device is out.
    const account = await shopper.agent.get('/account').expect(200);
    expect(account.text).toContain('Your password has been changed.');
    expect(await isLoggedIn(otherDevice)).toBe(false);

    expect((await logIn(request.agent(shop.app), shopper.email, shopper.password)).status).toBe(422);
    expectRedirect(await logIn(request.agent(shop.app), shopper.email, newPassword), '/');
  });

  test('a wrong current password is a 422 form error that sends no password back and changes nothing', async () => {
    const shopper = await newShopper(shop.app, 'wrong-current');
    const response = await changePassword(shopper.agent, {
      currentPassword: 'not my password',
      password: newPassword,
      confirmPassword: newPassword,
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain('That is not your current password.');
    expect(response.text).not.toContain('not my password');
    expect(response.text).not.toContain(newPassword);
    expectRedirect(await logIn(request.agent(shop.app), shopper.email, shopper.password), '/');
  });

  test('invalid fields are 422 form errors, one message per field', async () => {
    const shopper = await newShopper(shop.app, 'invalid-change');
    const response = await changePassword(shopper.agent, {
      currentPassword: '',
      password: 'short',
      confirmPassword: 'other',
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Enter your current password.');
    expect(response.text).toContain('Use at least 8 characters.');
    expect(response.text).toContain('The passwords do not match.');
    expect(response.text).not.toContain('value="short"');
  });
});

describe('flash messages', () => {
  test('a result is shown once after its redirect, then gone', async () => {
    const shopper = await newShopper(shop.app, 'flash');
    await shopper.agent.post('/create-order').type('form').send({ _csrf: shopper.csrf }).expect(302);
    expect((await shopper.agent.get('/cart').expect(200)).text).toContain(
      'Your cart is empty: there was nothing to order.',
    );
    expect((await shopper.agent.get('/cart').expect(200)).text).not.toContain('there was nothing to order');
  });

  test('signup sends the new shopper to the login page with a message', async () => {
    const agent = request.agent(shop.app);
    const _csrf = await csrfOf(agent, '/signup');
    const email = `flash-signup-${Date.now()}@example.com`;
    await agent
      .post('/signup')
      .type('form')
      .send({ _csrf, email, password: 'long enough!', confirmPassword: 'long enough!' })
      .expect(302);
    expect((await agent.get('/login').expect(200)).text).toContain('Your account is ready');
  });
});
