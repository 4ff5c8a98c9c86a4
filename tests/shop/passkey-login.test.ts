import request from 'supertest';
import { createApp } from '../../src/app';
import { Passkey } from '../../src/accounts/passkeys/passkey.model';
import { capturingLogger, type LogLine } from '../helpers/logs';
import { SoftwareAuthenticator } from '../helpers/passkey-authenticator';
import { atSecondStep, turnOnTwoFactor } from '../helpers/two-factor';
import {
  addOptions,
  logInWithPasskey,
  postJson,
  startPasskeyLogin,
  shopOrigin,
  shopperWithPasskey,
  userIdOf,
} from '../helpers/passkeys';
import { formCsrfTokenIn, sessionsCollection, startTestShop, type TestShop } from '../helpers/shop';

/*
 * Logging in with a passkey through the real stack, with a software authenticator
 * (tests/helpers/passkey-authenticator.ts): no email typed and no session document before it
 * succeeds, both factors, the challenge used once and for 5 minutes, a counter that goes
 * backwards, another account's passkey, the login's limits, and "Confirm it's you" with one.
 * Adding and removing them: passkeys.test.ts. The shop runs on the test's clock.
 */

let clock = Date.parse('2026-12-07T12:00:00Z');
let shop: TestShop;
const { logger, lines } = capturingLogger();
const MINUTE = 60_000;

beforeAll(async () => {
  shop = await startTestShop('passkey-login', { now: () => clock, logger });
});

afterAll(async () => {
  await shop.close();
});

function securityEvents(): LogLine[] {
  return lines.filter((line) => line.log === 'security');
}

describe('logging in with a passkey', () => {
  test('no email typed, no session document before it succeeds; then logged in, both factors, a security event', async () => {
    const { shopper, authenticator } = await shopperWithPasskey(shop, 'login');
    const agent = request.agent(shop.app);
    const before = await sessionsCollection().countDocuments();
    const { token, options, optionsResponse } = await startPasskeyLogin(agent);
    // Discoverable: no credential named, no account asked for.
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options.userVerification).toBe('required');
    expect(String(optionsResponse.headers['set-cookie'])).toMatch(
      /passkey-login=s%3A.*Path=\/login\/passkey; .*HttpOnly; SameSite=Strict/,
    );
    expect(await sessionsCollection().countDocuments()).toBe(before);
    // A refused attempt writes none either.
    const wrong = authenticator.authenticate(options, undefined, { origin: 'https://evil.example' });
    expect((await postJson(agent, '/login/passkey', token, wrong)).status).toBe(400);
    expect(await sessionsCollection().countDocuments()).toBe(before);
    await agent.get('/cart').expect(302);

    const answer = await logInWithPasskey(agent, authenticator, undefined, {}, '/orders');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ location: '/orders' });
    const session = await sessionsCollection().findOne(
      { 'session.user.email': shopper.email },
      { sort: { expires: -1 } },
    );
    expect(session?.session).toMatchObject({ isLoggedIn: true, user: { email: shopper.email } });
    await agent.get('/cart').expect(200);
    expect(
      securityEvents()
        .filter((line) => line.event === 'login')
        .at(-1),
    ).toMatchObject({ method: 'passkey' });
    const stored = await Passkey.findOne({ credentialId: authenticator.credentials[0].id }).lean();
    expect(stored).toMatchObject({ counter: authenticator.credentials[0].counter, lastUsedAt: new Date(clock) });
    expect((await agent.get('/account/passkeys').expect(200)).text).toContain('last used');
  });

  test('an account with a second factor is logged in at once: a passkey is both factors', async () => {
    const { shopper, authenticator } = await shopperWithPasskey(shop, 'both-factors');
    await turnOnTwoFactor(shopper, clock);
    // The password alone stops at the code; the passkey does not.
    await atSecondStep(shop.app, shopper.email, shopper.password);
    const agent = request.agent(shop.app);
    const answer = await logInWithPasskey(agent, authenticator);
    expect(answer.body).toEqual({ location: '/' });
    await agent.get('/cart').expect(200);
  });

  test('a login challenge is used once: the same answer again, even with the kept cookie, is refused', async () => {
    const { authenticator } = await shopperWithPasskey(shop, 'replay');
    const agent = request.agent(shop.app);
    const { token, options, optionsResponse } = await startPasskeyLogin(agent);
    const cookies = (optionsResponse.headers['set-cookie'] as unknown as string[]).map(
      (cookie) => cookie.split(';')[0],
    );
    const csrfCookie = (await agent.jar.getCookies({ path: '/', domain: '127.0.0.1', secure: false, script: false }))
      .filter((cookie) => cookie.name === 'csrf')
      .map((cookie) => `csrf=${cookie.value}`);
    const assertion = authenticator.authenticate(options);
    await postJson(agent, '/login/passkey', token, assertion).expect(200);

    // An attacker who copied the request, cookies and all.
    const replayed = await request(shop.app)
      .post('/login/passkey')
      .set('Cookie', [...csrfCookie, ...cookies].join('; '))
      .set('x-csrf-token', token)
      .send(assertion as object);
    expect(replayed.status).toBe(400);
    expect(replayed.body.error).toMatch(/expired or was already used/);
    // Without the cookie: no challenge at all.
    const fresh = request.agent(shop.app);
    const freshToken = formCsrfTokenIn((await fresh.get('/login').expect(200)).text, '/login');
    expect((await postJson(fresh, '/login/passkey', freshToken, assertion)).status).toBe(400);
  });

  test('a challenge older than 5 minutes is refused', async () => {
    const { authenticator } = await shopperWithPasskey(shop, 'slow');
    const agent = request.agent(shop.app);
    const { token, options } = await startPasskeyLogin(agent);
    clock += 5 * MINUTE + 1;
    const late = await postJson(agent, '/login/passkey', token, authenticator.authenticate(options));
    expect(late.status).toBe(400);
  });

  test('a signature counter that goes backwards (a copied authenticator) is refused and logged', async () => {
    const { shopper, authenticator } = await shopperWithPasskey(shop, 'cloned');
    const [credential] = authenticator.credentials;
    expect((await logInWithPasskey(request.agent(shop.app), authenticator)).status).toBe(200);
    expect((await logInWithPasskey(request.agent(shop.app), authenticator)).status).toBe(200);
    // The copy's counter is behind the original's (2): it signs 1, then 2.
    for (const counter of [0, 1]) {
      credential.counter = counter;
      const copy = await logInWithPasskey(request.agent(shop.app), authenticator);
      expect(copy.status).toBe(401);
      expect(copy.body.error).toMatch(/counter went backwards/);
    }
    const userId = (await userIdOf(shopper.email)).toHexString();
    const counterEvents = securityEvents().filter((line) => line.event === 'passkey-counter-went-back');
    expect(counterEvents.filter((line) => line.userId === userId)).toHaveLength(2);
    expect(await Passkey.findOne({ credentialId: credential.id }).lean()).toMatchObject({ counter: 2 });
    // The original, ahead of it, still logs in.
    credential.counter = 2;
    expect((await logInWithPasskey(request.agent(shop.app), authenticator)).status).toBe(200);
  });

  test('an unknown passkey, or one whose user handle names another account, logs no one in', async () => {
    const { authenticator } = await shopperWithPasskey(shop, 'owner');
    const { shopper: other } = await shopperWithPasskey(shop, 'other');
    const stranger = new SoftwareAuthenticator(shopOrigin(shop));
    stranger.register((await addOptions(other, { name: 'Never sent' })).body);
    expect((await logInWithPasskey(request.agent(shop.app), stranger)).status).toBe(401);

    const otherHandle = Buffer.from((await userIdOf(other.email)).toHexString(), 'hex').toString('base64url');
    const [credential] = authenticator.credentials;
    const impostor = { ...credential, userHandle: otherHandle };
    const answer = await logInWithPasskey(request.agent(shop.app), authenticator, impostor);
    expect(answer.status).toBe(401);
    expect(securityEvents().at(-1)).toMatchObject({
      event: 'login-failed',
      method: 'passkey',
      reason: 'unknown-passkey',
    });
  });

  test('the login endpoints are rate-limited per address like the login form', async () => {
    const limited = createApp(
      { ...shop.config, rateLimit: { ...shop.config.rateLimit, login: { ...shop.config.rateLimit.login, perIp: 2 } } },
      { sessionStore: shop.store, logger, now: () => clock },
    );
    // A new window: the shared counters have seen this address's earlier logins.
    clock += 16 * MINUTE;
    const agent = request.agent(limited);
    const token = formCsrfTokenIn((await agent.get('/login').expect(200)).text, '/login');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await postJson(agent, '/login/passkey/options', token, {})).status);
    expect(answers).toEqual([200, 200, 429]);
    const refused = await postJson(agent, '/login/passkey/options', token, {});
    expect(refused.body.error).toMatch(/Too many attempts/);
    expect(refused.headers['retry-after']).toBeDefined();
  });
});

describe('"Confirm it\'s you" with a passkey', () => {
  test("past the window the confirm page offers it; one of the shopper's own passkeys confirms, another's does not", async () => {
    const { shopper, authenticator } = await shopperWithPasskey(shop, 'confirms');
    const { authenticator: othersAuthenticator } = await shopperWithPasskey(shop, 'not-mine');
    clock += 11 * MINUTE;
    const page = await shopper.agent.get('/account/confirm?returnTo=/account/passkeys').expect(200);
    expect(page.text).toContain('Confirm with a passkey');
    expect(page.text).toContain('data-return-to="/account/passkeys"');

    const options = await postJson(shopper.agent, '/account/passkeys/confirm/options', shopper.csrf, {}).expect(200);
    expect(options.body.allowCredentials).toEqual([
      { id: authenticator.credentials[0].id, type: 'public-key', transports: ['internal'] },
    ]);
    const others = othersAuthenticator.authenticate(options.body, othersAuthenticator.credentials[0]);
    expect((await postJson(shopper.agent, '/account/passkeys/confirm', shopper.csrf, others)).status).toBe(401);
    expect((await addOptions(shopper, { name: 'Still stale' })).status).toBe(403);

    const again = await postJson(shopper.agent, '/account/passkeys/confirm/options', shopper.csrf, {}).expect(200);
    const mine = authenticator.authenticate(again.body);
    const confirmed = await postJson(shopper.agent, '/account/passkeys/confirm', shopper.csrf, {
      ...mine,
      returnTo: '/account/passkeys',
    });
    expect(confirmed.body).toEqual({ location: '/account/passkeys' });
    expect((await addOptions(shopper, { name: 'Now fresh' })).status).toBe(200);
    expect(
      securityEvents()
        .filter((line) => line.event === 'step-up')
        .at(-1),
    ).toMatchObject({ method: 'passkey' });
  });
});
