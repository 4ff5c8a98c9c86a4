import request from 'supertest';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/platform/logger';
import { User } from '../../src/user.model';
import { capturingLogger } from '../helpers/logs';
import {
  LABEL,
  isLoggedIn,
  linksOf,
  loggedInSessionsOf,
  newPerson,
  signInWith,
  startOidcShop,
  type OidcShop,
} from '../helpers/oidc-shop';
import { expectRedirect, formCsrfTokenIn, logIn, newShopper, sessionsCollection, testConfig } from '../helpers/shop';

/*
 * "Log in with <label>" against a real OpenID Provider started by the test (oidc-provider 9): a new
 * account from an address the provider vouches for, an existing account never taken over (its
 * password links it), the provider's login afterwards, an address not vouched for; the callbacks
 * that must log no one in are in oidc-callbacks.test.ts.
 */

const { logger, lines } = capturingLogger();
let oidc: OidcShop;

beforeAll(async () => {
  oidc = await startOidcShop('oidc-sign-in', { logger });
});

afterAll(async () => {
  await oidc?.close();
});

const LINK_PATH = '/login/oidc/link';

function securityEvents(): string[] {
  return lines.filter((line) => line.log === 'security').map((line) => String(line.event));
}

describe('the button', () => {
  test('"Log in with <label>" on the login and signup pages when OIDC_* are set', async () => {
    for (const page of ['/login', '/signup']) {
      const { text } = await request(oidc.shop.app).get(page).expect(200);
      expect(text).toContain(`Log in with ${LABEL}`);
      expect(text).toContain('href="/login/oidc"');
    }
    const withReturn = await request(oidc.shop.app).get('/login?returnTo=%2Fcart').expect(200);
    expect(withReturn.text).toContain('href="/login/oidc?returnTo=%2Fcart"');
  });

  test('absent without OIDC_*: no button, no routes', async () => {
    const plain = createApp(testConfig(), { sessionStore: oidc.shop.store, logger: silentLogger });
    for (const page of ['/login', '/signup']) {
      expect((await request(plain).get(page).expect(200)).text).not.toContain('href="/login/oidc');
    }
    await request(plain).get('/login/oidc').expect(404);
    await request(plain).get('/login/oidc/callback?code=x&state=y').expect(404);
  });
});

describe('a person the shop does not know', () => {
  test('with an address the provider vouches for and no account: a new account without a password, logged in', async () => {
    const person = newPerson(oidc.provider);
    const agent = request.agent(oidc.shop.app);
    const sessionsBefore = await sessionsCollection().countDocuments();
    const start = await agent.get('/login/oidc').expect(302);
    expect(start.headers.location).toMatch(new RegExp(`^${oidc.provider.issuer}/auth\\?`));
    // The checks travel in a sealed cookie: no session document before the login.
    expect(await sessionsCollection().countDocuments()).toBe(sessionsBefore);
    const cookie = String(start.headers['set-cookie']);
    expect(cookie).toMatch(/oidc=v1%3A[^;]+; Max-Age=600; Path=\/login\/oidc; Expires=[^;]+; HttpOnly; SameSite=Lax/);
    const state = new URL(start.headers.location).searchParams.get('state') ?? 'no state';
    expect(decodeURIComponent(cookie)).not.toContain(state);

    const callback = await oidc.provider.authorize(start.headers.location, { as: person.sub });
    expectRedirect(await agent.get(callback.pathname + callback.search), '/');
    expect(await isLoggedIn(agent)).toBe(true);
    expect(await loggedInSessionsOf(person.email)).toBe(1);

    const user = await User.findOne({ email: person.email }).lean();
    expect(user).toMatchObject({ emailVerified: true });
    expect(user?.password).toBeUndefined();
    expect(await linksOf(user?._id)).toMatchObject([
      { issuer: oidc.provider.issuer, subject: person.sub, email: person.email, label: LABEL },
    ]);
    expect(securityEvents()).toEqual(expect.arrayContaining(['provider-account-created', 'login']));
    const account = await agent.get('/account').expect(200);
    expect(account.text).toContain(`Log in with ${LABEL}`);
    expect(account.text).toContain(person.email);
  });

  test('then logs in through the provider again, into the same account, with no password', async () => {
    const person = newPerson(oidc.provider);
    expectRedirect(await signInWith(oidc.provider, request.agent(oidc.shop.app), person.sub), '/');
    const again = request.agent(oidc.shop.app);
    expectRedirect(await signInWith(oidc.provider, again, person.sub), '/');
    expect(await isLoggedIn(again)).toBe(true);
    expect(await User.countDocuments({ email: person.email })).toBe(1);
  });

  test('a password login to an account without one is refused like a wrong password, cleanly', async () => {
    const person = newPerson(oidc.provider);
    expectRedirect(await signInWith(oidc.provider, request.agent(oidc.shop.app), person.sub), '/');
    for (const password of ['', 'anything at all', 'correct horse battery']) {
      const answer = await logIn(request.agent(oidc.shop.app), person.email, password);
      expect(answer.status).toBe(422);
      expect(answer.text).toMatch(/Invalid email or password|Enter your password/);
    }
  });

  test('with an address the provider does not vouch for: refused, no account, nobody logged in', async () => {
    const person = newPerson(oidc.provider, { emailVerified: false });
    const agent = request.agent(oidc.shop.app);
    const answer = await signInWith(oidc.provider, agent, person.sub);
    expect(answer.status).toBe(403);
    expect(answer.text).toContain(`${LABEL} did not vouch for an email address`);
    expect(await User.exists({ email: person.email })).toBeNull();
    expect(await isLoggedIn(agent)).toBe(false);
  });

  test('an unverified address of an existing account is refused too: nothing linked', async () => {
    const shopper = await newShopper(oidc.shop.app, 'unverified-at-provider');
    const person = newPerson(oidc.provider, { email: shopper.email, emailVerified: false });
    const agent = request.agent(oidc.shop.app);
    expect((await signInWith(oidc.provider, agent, person.sub)).status).toBe(403);
    const user = await User.findOne({ email: shopper.email }).lean();
    expect(await linksOf(user?._id)).toEqual([]);
  });
});

describe('an address that has an account already', () => {
  test('is never taken over: the linking page asks for its password; nobody logged in, nothing linked', async () => {
    const shopper = await newShopper(oidc.shop.app, 'taken-over');
    const person = newPerson(oidc.provider, { email: shopper.email });
    const agent = request.agent(oidc.shop.app);
    expectRedirect(await signInWith(oidc.provider, agent, person.sub), LINK_PATH);
    expect(await isLoggedIn(agent)).toBe(false);
    // Only the shopper's own session from newShopper: none for this browser.
    expect(await loggedInSessionsOf(shopper.email)).toBe(1);
    const user = await User.findOne({ email: shopper.email }).lean();
    expect(await linksOf(user?._id)).toEqual([]);

    const page = await agent.get(LINK_PATH).expect(200);
    expect(page.text).toContain(shopper.email);
    expect(page.text).toContain('name="password"');
    // A stranger's browser without the sealed cookie gets nothing.
    const stranger = await request(oidc.shop.app).get(LINK_PATH);
    expect(stranger.status).toBe(400);
    expect(stranger.text).not.toContain(shopper.email);
  });

  test('a wrong password is refused (422, nothing kept, nothing linked); the right one links, mails and logs in', async () => {
    const shopper = await newShopper(oidc.shop.app, 'linking');
    const person = newPerson(oidc.provider, { email: shopper.email });
    const agent = request.agent(oidc.shop.app);
    expectRedirect(await signInWith(oidc.provider, agent, person.sub), LINK_PATH);
    const page = await agent.get(LINK_PATH).expect(200);
    const _csrf = formCsrfTokenIn(page.text, LINK_PATH);

    const wrong = await agent.post(LINK_PATH).type('form').send({ _csrf, password: 'not the password' });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not the password of this account.');
    expect(wrong.text).not.toContain('not the password"');
    const user = await User.findOne({ email: shopper.email }).lean();
    expect(await linksOf(user?._id)).toEqual([]);
    expect(await isLoggedIn(agent)).toBe(false);

    const empty = await agent.post(LINK_PATH).type('form').send({ _csrf });
    expect(empty.status).toBe(422);
    const hostile = await agent.post(LINK_PATH).type('form').send(`_csrf=${_csrf}&password[$gt]=`);
    expect(hostile.status).toBe(422);

    const right = await agent.post(LINK_PATH).type('form').send({ _csrf, password: shopper.password });
    expectRedirect(right, '/');
    expect(await isLoggedIn(agent)).toBe(true);
    expect(await linksOf(user?._id)).toMatchObject([{ subject: person.sub, email: shopper.email }]);
    const mail = await oidc.shop.inbox.waitFor(shopper.email, /A sign-in provider was linked to your account/);
    expect(mail.text).toContain(LABEL);
    expect(securityEvents()).toContain('provider-linked');

    // The provider logs it in from now on, with no password.
    const later = request.agent(oidc.shop.app);
    expectRedirect(await signInWith(oidc.provider, later, person.sub), '/');
    expect(await isLoggedIn(later)).toBe(true);
    // The pending link was used up.
    expect((await agent.get(LINK_PATH)).status).toBe(400);
  });

  test('the linking form is rate limited like the login: wrong passwords per account and address, then 429', async () => {
    const config = oidc.shop.config;
    const strict = createApp(
      { ...config, rateLimit: { ...config.rateLimit, login: { ...config.rateLimit.login, perAccount: 2 } } },
      { sessionStore: oidc.shop.store, logger: silentLogger },
    );
    const shopper = await newShopper(oidc.shop.app, 'link-limit');
    const person = newPerson(oidc.provider, { email: shopper.email });
    const agent = request.agent(strict);
    expectRedirect(await signInWith(oidc.provider, agent, person.sub), LINK_PATH);
    const _csrf = formCsrfTokenIn((await agent.get(LINK_PATH).expect(200)).text, LINK_PATH);
    for (const attempt of [1, 2]) {
      const answer = await agent
        .post(LINK_PATH)
        .type('form')
        .send({ _csrf, password: `wrong ${attempt}` });
      expect(answer.status).toBe(422);
    }
    const refused = await agent.post(LINK_PATH).type('form').send({ _csrf, password: shopper.password });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toEqual(expect.any(String));
    const user = await User.findOne({ email: shopper.email }).lean();
    expect(await linksOf(user?._id)).toEqual([]);
  });
});
