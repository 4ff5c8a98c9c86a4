import request from 'supertest';
import mongoose from 'mongoose';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config';
import { silentLogger } from '../../src/platform/logger';
import { User } from '../../src/user.model';
import {
  LABEL,
  PUBLIC_URL,
  linksOf,
  newPerson,
  signInWith,
  startOidcShop,
  throughProvider,
  type OidcShop,
} from '../helpers/oidc-shop';
import { startTestOidcProvider } from '../helpers/oidc-provider';
import { LOGIN_TWO_FACTOR, turnOnTwoFactor } from '../helpers/two-factor';
import {
  TEST_SECRET,
  csrfTokenIn,
  expectRedirect,
  formCsrfTokenIn,
  logIn,
  newShopper,
  type Agent,
} from '../helpers/shop';
import { addPasskey } from '../helpers/passkeys';
import { SoftwareAuthenticator } from '../helpers/passkey-authenticator';

/*
 * A logged-in shopper and the provider: linking it from the account page, unlinking it (never the
 * last way in, a fresh login first), "Confirm it's you" through it for an account without a
 * password, the links gone with the account; a second factor still asked after the provider's
 * login; the provider unreachable; the linking step's 10 minutes. On the test's clock.
 */

let clock = Date.parse('2026-12-07T12:00:00Z');
let oidc: OidcShop;

beforeAll(async () => {
  oidc = await startOidcShop('oidc-account', { now: () => clock });
});

afterAll(async () => {
  await oidc?.close();
});

const MINUTE = 60_000;
const PROVIDERS = '/account/oidc';

/** A shopper made by the provider: no password, logged in through it. */
async function providerShopper(): Promise<{ agent: Agent; sub: string; email: string }> {
  const person = newPerson(oidc.provider);
  const agent = request.agent(oidc.shop.app);
  expectRedirect(await signInWith(oidc.provider, agent, person.sub), '/');
  return { agent, ...person };
}

async function userIdOf(email: string) {
  return (await User.findOne({ email }).lean())?._id;
}

async function postOnPage(agent: Agent, page: string, action: string, fields: Record<string, string> = {}) {
  const { text } = await agent.get(page).expect(200);
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: formCsrfTokenIn(text, action), ...fields });
}

async function identityIdOn(agent: Agent): Promise<string> {
  const match = /name="identity" value="([0-9a-f]{24})"/.exec((await agent.get(PROVIDERS).expect(200)).text);
  if (!match) throw new Error('no linked provider on the page');
  return match[1];
}

describe('linking from the account page', () => {
  test('a shopper with a password links the provider: mailed, listed, and it logs in from then on', async () => {
    const shopper = await newShopper(oidc.shop.app, 'links-later');
    const person = newPerson(oidc.provider, { email: `other-${Date.now()}@example.net` });
    const callback = await throughProvider(oidc.provider, shopper.agent, person.sub, () =>
      postOnPage(shopper.agent, PROVIDERS, '/account/oidc/link'),
    );
    expectRedirect(await shopper.agent.get(callback), PROVIDERS);
    expect(await linksOf(await userIdOf(shopper.email))).toMatchObject([{ subject: person.sub }]);
    await oidc.shop.inbox.waitFor(shopper.email, /A sign-in provider was linked/);
    const page = await shopper.agent.get(PROVIDERS).expect(200);
    expect(page.text).toContain(person.email);
    expect((await shopper.agent.get('/account').expect(200)).text).toContain('Unlink');

    const later = request.agent(oidc.shop.app);
    expectRedirect(await signInWith(oidc.provider, later, person.sub), '/');
    expect((await later.get('/account').expect(200)).text).toContain(shopper.email);
  });

  test('a person linked to another account is not linked again', async () => {
    const owner = await providerShopper();
    const shopper = await newShopper(oidc.shop.app, 'links-taken');
    const callback = await throughProvider(oidc.provider, shopper.agent, owner.sub, () =>
      postOnPage(shopper.agent, PROVIDERS, '/account/oidc/link'),
    );
    expectRedirect(await shopper.agent.get(callback), PROVIDERS);
    expect((await shopper.agent.get(PROVIDERS)).text).toContain('linked to another account');
    expect(await linksOf(await userIdOf(shopper.email))).toEqual([]);
  });

  test('past the fresh-login window the link asks for the current password first', async () => {
    const shopper = await newShopper(oidc.shop.app, 'links-stale');
    clock += 11 * MINUTE;
    const page = await shopper.agent.get(PROVIDERS).expect(200);
    expect(page.text).toContain('name="currentPassword"');
    const refused = await postOnPage(shopper.agent, PROVIDERS, '/account/oidc/link');
    expect(refused.status).toBe(422);
    const wrong = await postOnPage(shopper.agent, PROVIDERS, '/account/oidc/link', { currentPassword: 'nope' });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not your current password.');
    const right = await postOnPage(shopper.agent, PROVIDERS, '/account/oidc/link', {
      currentPassword: shopper.password,
    });
    expect(right.status).toBe(302);
    expect(right.headers.location).toMatch(new RegExp(`^${oidc.provider.issuer}/auth\\?`));
  });
});

describe('unlinking', () => {
  test('refused when it is the last way in (no password), with nothing removed', async () => {
    const shopper = await providerShopper();
    const identity = await identityIdOn(shopper.agent);
    const refused = await postOnPage(shopper.agent, PROVIDERS, '/account/oidc/unlink', { identity });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('This is the only way into your account');
    expect(await linksOf(await userIdOf(shopper.email))).toHaveLength(1);
  });

  test('allowed for an account with a password: the provider no longer logs in to it', async () => {
    const shopper = await newShopper(oidc.shop.app, 'unlinks');
    const person = newPerson(oidc.provider, { email: shopper.email });
    const agent = request.agent(oidc.shop.app);
    expectRedirect(await signInWith(oidc.provider, agent, person.sub), '/login/oidc/link');
    expectRedirect(
      await postOnPage(agent, '/login/oidc/link', '/login/oidc/link', { password: shopper.password }),
      '/',
    );

    const identity = await identityIdOn(shopper.agent);
    expectRedirect(await postOnPage(shopper.agent, '/account', '/account/oidc/unlink', { identity }), PROVIDERS);
    expect(await linksOf(await userIdOf(shopper.email))).toEqual([]);
    // The provider's login now finds an address with an account: the password again.
    expectRedirect(await signInWith(oidc.provider, request.agent(oidc.shop.app), person.sub), '/login/oidc/link');
  });

  test('allowed for an account without a password that has a passkey: the passkey is a way in', async () => {
    const { agent, email } = await providerShopper();
    const csrf = csrfTokenIn((await agent.get('/account').expect(200)).text);
    const added = await addPasskey({ agent, email, password: '', csrf }, new SoftwareAuthenticator(PUBLIC_URL));
    expect(added.status).toBe(200);
    const identity = await identityIdOn(agent);
    expectRedirect(await postOnPage(agent, '/account', '/account/oidc/unlink', { identity }), PROVIDERS);
    expect(await linksOf(await userIdOf(email))).toEqual([]);
  });

  test("someone else's link, a malformed id or no id: 422, nothing removed", async () => {
    const owner = await providerShopper();
    const ownersLink = await identityIdOn(owner.agent);
    const shopper = await newShopper(oidc.shop.app, 'unlinks-other');
    for (const identity of [ownersLink, 'not-an-id', '']) {
      // No link of their own: no such form on their page, the session's token all the same.
      const answer = await shopper.agent
        .post('/account/oidc/unlink')
        .type('form')
        .send({ _csrf: shopper.csrf, identity });
      expect(answer.status).toBe(422);
    }
    expect(await linksOf(await userIdOf(owner.email))).toHaveLength(1);
  });
});

test('an account without a password sets one within the fresh-login window, then logs in with it too', async () => {
  const shopper = await providerShopper();
  const password = 'a password of my own';
  const page = await shopper.agent.get('/account/password').expect(200);
  expect(page.text).not.toContain('name="currentPassword"');
  expectRedirect(
    await postOnPage(shopper.agent, '/account/password', '/account/password', {
      password,
      confirmPassword: password,
    }),
    '/account',
  );
  expectRedirect(await logIn(request.agent(oidc.shop.app), shopper.email, password), '/');
});

describe("confirm it's you through the provider", () => {
  test('an account without a password confirms with the provider, then deletes itself: its links go too', async () => {
    const shopper = await providerShopper();
    const userId = await userIdOf(shopper.email);
    clock += 11 * MINUTE;
    const deletePage = await shopper.agent.get('/account/delete').expect(200);
    expect(deletePage.text).toContain('confirm it');
    const confirmPage = await shopper.agent.get('/account/confirm?returnTo=%2Faccount%2Fdelete').expect(200);
    expect(confirmPage.text).toContain(`Confirm with ${LABEL}`);
    expect(confirmPage.text).not.toContain('name="currentPassword"');

    const callback = await throughProvider(oidc.provider, shopper.agent, shopper.sub, () =>
      postOnPage(shopper.agent, '/account/confirm?returnTo=%2Faccount%2Fdelete', '/account/oidc/confirm', {
        returnTo: '/account/delete',
      }),
    );
    expectRedirect(await shopper.agent.get(callback), '/account/delete');
    expectRedirect(await postOnPage(shopper.agent, '/account/delete', '/account/delete'), '/');
    expect(await User.exists({ _id: userId })).toBeNull();
    expect(await linksOf(userId)).toEqual([]);
    // The person is unknown again: a new account (the address is free).
    expectRedirect(await signInWith(oidc.provider, request.agent(oidc.shop.app), shopper.sub), '/');
  });

  test('another person at the provider confirms nothing', async () => {
    const shopper = await providerShopper();
    const stranger = newPerson(oidc.provider);
    clock += 11 * MINUTE;
    const callback = await throughProvider(oidc.provider, shopper.agent, stranger.sub, () =>
      postOnPage(shopper.agent, '/account/confirm', '/account/oidc/confirm', { returnTo: '/account/delete' }),
    );
    expect((await shopper.agent.get(callback)).status).toBe(403);
    const stillStale = await shopper.agent.get('/account/delete').expect(200);
    expect(stillStale.text).toContain('confirm it');
  });
});

test("an account with a second factor: the provider's login still asks for the code", async () => {
  const shopper = await newShopper(oidc.shop.app, 'two-factor');
  await turnOnTwoFactor(shopper, clock);
  const person = newPerson(oidc.provider, { email: shopper.email });
  const agent = request.agent(oidc.shop.app);
  expectRedirect(await signInWith(oidc.provider, agent, person.sub), '/login/oidc/link');
  expectRedirect(
    await postOnPage(agent, '/login/oidc/link', '/login/oidc/link', { password: shopper.password }),
    LOGIN_TWO_FACTOR,
  );
  const later = request.agent(oidc.shop.app);
  expectRedirect(await signInWith(oidc.provider, later, person.sub), LOGIN_TWO_FACTOR);
  expect((await later.get('/cart')).status).toBe(302);
});

test('the linking step lasts 10 minutes', async () => {
  const shopper = await newShopper(oidc.shop.app, 'slow-linker');
  const person = newPerson(oidc.provider, { email: shopper.email });
  const agent = request.agent(oidc.shop.app);
  expectRedirect(await signInWith(oidc.provider, agent, person.sub), '/login/oidc/link');
  const page = await agent.get('/login/oidc/link').expect(200);
  clock += 11 * MINUTE;
  const late = await agent
    .post('/login/oidc/link')
    .type('form')
    .send({ _csrf: formCsrfTokenIn(page.text, '/login/oidc/link'), password: shopper.password });
  expect(late.status).toBe(400);
  expect(await linksOf(await userIdOf(shopper.email))).toEqual([]);
});

test('a provider that cannot be reached: a 503 page, never a stack trace', async () => {
  const gone = await startTestOidcProvider({ publicUrl: PUBLIC_URL });
  const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, PUBLIC_URL, ...gone.shopEnv });
  await gone.close();
  const app = createApp(
    { ...oidc.shop.config, accountSecurity: config.accountSecurity },
    { sessionStore: oidc.shop.store, logger: silentLogger },
  );
  const answer = await request(app).get('/login/oidc');
  expect(answer.status).toBe(503);
  expect(answer.text).toContain('cannot be reached right now');
  expect(answer.text).not.toMatch(/ECONNREFUSED|at .*:\d+:\d+/);
});

test('every form of the sign-in refuses a request without its CSRF token (403), as a visitor and as a shopper', async () => {
  const shopper = await providerShopper();
  const forms = ['/login/oidc/link', '/account/oidc/link', '/account/oidc/unlink', '/account/oidc/confirm'];
  for (const form of forms) {
    expect((await request(oidc.shop.app).post(form).type('form').send({ password: 'x' })).status).toBe(403);
    expect((await shopper.agent.post(form).type('form').send({ identity: 'x' })).status).toBe(403);
  }
  expect(await linksOf(await userIdOf(shopper.email))).toHaveLength(1);
});

test('linked_identities: by the shopper, and one account per person at the provider (unique)', async () => {
  const indexes = await mongoose.connection.collection('linked_identities').indexes();
  expect(indexes.map(({ key, unique }) => ({ key, ...(unique ? { unique } : {}) }))).toEqual(
    expect.arrayContaining([{ key: { userId: 1 } }, { key: { issuer: 1, subject: 1 }, unique: true }]),
  );
});
