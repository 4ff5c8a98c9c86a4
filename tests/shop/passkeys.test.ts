import mongoose from 'mongoose';
import request from 'supertest';
import { Passkey } from '../../src/accounts/passkeys/passkey.model';
import { capturingLogger, type LogLine } from '../helpers/logs';
import { SoftwareAuthenticator } from '../helpers/passkey-authenticator';
import {
  addOptions,
  addPasskey,
  logInWithPasskey,
  postJson,
  startPasskeyLogin,
  shopOrigin,
  shopperWithPasskey,
  userIdOf,
} from '../helpers/passkeys';
import {
  expectRedirect,
  formCsrfTokenIn,
  newShopper,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';

/*
 * Passkeys through the real stack, with a software authenticator (tests/helpers/passkey-authenticator.ts)
 * answering the shop's WebAuthn options as a phone or security key would: adding one (behind a
 * fresh login), the list, removing one, the mail, CSRF, hostile bodies, the account's deletion and
 * the indexes. Logging in with one: passkey-login.test.ts; in the browser: tests/e2e/passkeys.e2e.ts.
 * The shop runs on the test's clock.
 */

let clock = Date.parse('2026-12-07T12:00:00Z');
let shop: TestShop;
const { logger, lines } = capturingLogger();
const MINUTE = 60_000;

beforeAll(async () => {
  shop = await startTestShop('passkeys', { now: () => clock, logger });
});

afterAll(async () => {
  await shop.close();
});

function securityEvents(): LogLine[] {
  return lines.filter((line) => line.log === 'security');
}

describe('adding a passkey', () => {
  test('fresh after login: added, listed with its name and dates, mailed, a security event', async () => {
    const shopper = await newShopper(shop.app, 'adds');
    const authenticator = new SoftwareAuthenticator(shopOrigin(shop));
    const options = await addOptions(shopper, { name: 'Work laptop' });
    expect(options.status).toBe(200);
    // Discoverable, the person verified, for PUBLIC_URL's host; the account named by an opaque handle.
    expect(options.body).toMatchObject({
      rp: { id: 'localhost', name: 'Session Shop' },
      user: { name: shopper.email },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
    });
    expect(options.body.user.id).not.toContain(shopper.email);
    const response = authenticator.register(options.body);
    const added = await postJson(shopper.agent, '/account/passkeys', shopper.csrf, { name: 'Work laptop', response });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ location: '/account/passkeys' });

    const page = await shopper.agent.get('/account/passkeys').expect(200);
    expect(page.text).toContain('Work laptop');
    expect(page.text).toMatch(/Added Dec 7, 2026/);
    expect(page.text).toContain('never used to log in yet');
    expect(page.text).toContain('Passkey “Work laptop” added');
    const stored = await Passkey.findOne({ credentialId: response.id }).lean();
    expect(stored).toMatchObject({ name: 'Work laptop', counter: 0, transports: ['internal'] });
    expect(stored?.userId.equals(await userIdOf(shopper.email))).toBe(true);

    const mail = await shop.inbox.waitFor(shopper.email, /A passkey was added to your account/);
    expect(mail.text).toContain('"Work laptop"');
    expect(securityEvents().some((line) => line.event === 'passkey-added')).toBe(true);
    // The account page links to it.
    expect((await shopper.agent.get('/account').expect(200)).text).toContain('href="/account/passkeys"');
  });

  test('the same authenticator twice is excluded, then refused; a name is required', async () => {
    const { shopper, authenticator } = await shopperWithPasskey(shop, 'twice');
    const options = await addOptions(shopper, { name: 'Again' });
    expect(options.body.excludeCredentials).toEqual([
      { id: authenticator.credentials[0].id, type: 'public-key', transports: ['internal'] },
    ]);
    for (const name of ['', '   ', 'x'.repeat(61), 42, { $gt: '' }]) {
      const refused = await addOptions(shopper, { name });
      expect({ name, status: refused.status, field: refused.body.field }).toEqual({ name, status: 422, field: 'name' });
    }
  });

  test('11 minutes after login: the password is asked, a wrong one refused, the right one lets it through', async () => {
    const shopper = await newShopper(shop.app, 'stale');
    clock += 11 * MINUTE;
    const page = await shopper.agent.get('/account/passkeys').expect(200);
    expect(page.text).toContain('name="currentPassword"');

    const stale = await addOptions(shopper, { name: 'Phone' });
    expect(stale.status).toBe(403);
    expect(stale.body.location).toBe('/account/confirm?returnTo=%2Faccount%2Fpasskeys');
    expect(stale.body.error).toMatch(/current password/);
    const wrong = await addOptions(shopper, { name: 'Phone', currentPassword: 'not my password' });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ field: 'currentPassword', error: 'That is not your current password.' });
    expect(await Passkey.countDocuments({ userId: await userIdOf(shopper.email) })).toBe(0);

    const right = await addOptions(shopper, { name: 'Phone', currentPassword: shopper.password });
    expect(right.status).toBe(200);
    const authenticator = new SoftwareAuthenticator(shopOrigin(shop));
    const response = authenticator.register(right.body);
    await postJson(shopper.agent, '/account/passkeys', shopper.csrf, { name: 'Phone', response }).expect(200);
  });

  test('a stale session cannot finish a registration begun while fresh', async () => {
    const shopper = await newShopper(shop.app, 'begun-fresh');
    clock += 9 * MINUTE;
    const options = await addOptions(shopper, { name: 'Key' });
    clock += 2 * MINUTE;
    const response = new SoftwareAuthenticator(shopOrigin(shop)).register(options.body);
    const late = await postJson(shopper.agent, '/account/passkeys', shopper.csrf, { name: 'Key', response });
    expect(late.status).toBe(403);
    expect(await Passkey.exists({ credentialId: response.id })).toBeNull();
  });

  test('a wrong origin, a wrong RP ID, no user verification, a replayed or missing challenge: refused', async () => {
    const shopper = await newShopper(shop.app, 'bad-registrations');
    const authenticator = new SoftwareAuthenticator(shopOrigin(shop));
    for (const overrides of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { userVerified: false }]) {
      const refused = await addPasskey(shopper, authenticator, 'Bad', overrides);
      expect({ overrides, status: refused.status }).toEqual({ overrides, status: 400 });
    }
    // A response for a challenge the shop did not give this browser (none in its cookie).
    const options = await addOptions(shopper, { name: 'Once' });
    const response = authenticator.register(options.body);
    await postJson(shopper.agent, '/account/passkeys', shopper.csrf, { name: 'Once', response }).expect(200);
    const again = await postJson(shopper.agent, '/account/passkeys', shopper.csrf, { name: 'Once', response });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatch(/expired or was already used/);
    expect(await Passkey.countDocuments({ userId: await userIdOf(shopper.email) })).toBe(1);
  });
});

describe('removing a passkey', () => {
  async function removeForm(shopper: Shopper, passkeyId: string, extra: Record<string, string> = {}) {
    const page = await shopper.agent.get('/account/passkeys').expect(200);
    return shopper.agent
      .post('/account/passkeys/remove')
      .type('form')
      .send({ _csrf: formCsrfTokenIn(page.text, '/account/passkeys/remove'), passkey: passkeyId, ...extra });
  }

  test('removed (fresh), mailed, a security event; it logs in no more', async () => {
    const { shopper, authenticator } = await shopperWithPasskey(shop, 'removes');
    const passkey = await Passkey.findOne({ credentialId: authenticator.credentials[0].id }).lean();
    expectRedirect(await removeForm(shopper, String(passkey?._id)), '/account/passkeys');
    expect(await Passkey.exists({ _id: passkey?._id })).toBeNull();
    const mail = await shop.inbox.waitFor(shopper.email, /A passkey was removed from your account/);
    expect(mail.text).toContain('"Laptop"');
    expect(securityEvents().some((line) => line.event === 'passkey-removed')).toBe(true);
    expect((await logInWithPasskey(request.agent(shop.app), authenticator)).status).toBe(401);
  });

  test("past the window it needs the password; another shopper's passkey is not removed", async () => {
    const { shopper, authenticator } = await shopperWithPasskey(shop, 'removes-stale');
    const { shopper: thief } = await shopperWithPasskey(shop, 'thief');
    const passkey = await Passkey.findOne({ credentialId: authenticator.credentials[0].id }).lean();
    const id = String(passkey?._id);

    expectRedirect(await removeForm(thief, id), '/account/passkeys');
    expect(await Passkey.exists({ _id: passkey?._id })).not.toBeNull();

    clock += 11 * MINUTE;
    const stale = await removeForm(shopper, id);
    expect(stale.status).toBe(422);
    expect(stale.text).toContain('enter your current password');
    expect((await removeForm(shopper, id, { currentPassword: 'wrong password' })).status).toBe(422);
    expect(await Passkey.exists({ _id: passkey?._id })).not.toBeNull();
    expectRedirect(await removeForm(shopper, id, { currentPassword: shopper.password }), '/account/passkeys');
    expect(await Passkey.exists({ _id: passkey?._id })).toBeNull();
    for (const passkey of ['not-an-id', '', { $ne: '' }]) {
      const hostile = await shopper.agent.post('/account/passkeys/remove').send({ _csrf: shopper.csrf, passkey });
      expect({ passkey, status: hostile.status }).toEqual({ passkey, status: 422 });
    }
  });
});

describe('hostile requests: 4xx JSON, never a 500', () => {
  test('no CSRF token: 403 on every ceremony, nothing changes', async () => {
    const { shopper } = await shopperWithPasskey(shop, 'csrf');
    for (const path of ['/account/passkeys/options', '/account/passkeys', '/account/passkeys/confirm/options']) {
      const refused = await postJson(shopper.agent, path, undefined, { name: 'Forged' });
      expect({ path, status: refused.status, json: refused.type }).toEqual({
        path,
        status: 403,
        json: 'application/json',
      });
      expect(refused.body.error).toMatch(/refused/);
    }
    for (const path of ['/login/passkey/options', '/login/passkey']) {
      const refused = await postJson(request.agent(shop.app), path, undefined, {});
      expect({ path, status: refused.status }).toEqual({ path, status: 403 });
      // The session's token is not a visitor's.
      expect((await postJson(shopper.agent, path, shopper.csrf, {})).status).toBe(403);
    }
  });

  test('malformed JSON, a huge body, wrong types, operators: 400 or 413 with JSON', async () => {
    const { shopper } = await shopperWithPasskey(shop, 'hostile');
    const agent = request.agent(shop.app);
    const token = formCsrfTokenIn((await agent.get('/login').expect(200)).text, '/login');
    const send = (path: string, csrf: string, client = agent) =>
      client
        .post(path)
        .set('x-csrf-token', csrf)
        .set('Accept', 'application/json')
        .set('Content-Type', 'application/json');
    const malformed = await send('/login/passkey', token).send('{"id": ');
    expect([malformed.status, malformed.type]).toEqual([400, 'application/json']);
    const huge = await send('/login/passkey', token).send(JSON.stringify({ id: 'a'.repeat(20_000) }));
    expect([huge.status, huge.type]).toEqual([413, 'application/json']);
    for (const body of [
      [],
      { id: { $gt: '' }, rawId: { $gt: '' }, type: 'public-key', response: {} },
      { id: 'abc', rawId: 'abc', type: 'public-key', response: 'x' },
      {
        id: 'abc',
        rawId: 'abc',
        type: 'public-key',
        response: { clientDataJSON: 1, authenticatorData: [], signature: null },
      },
      {
        id: 'a b',
        rawId: 'a b',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
      },
    ]) {
      const { options } = await startPasskeyLogin(agent);
      expect(options.challenge).toBeDefined();
      const answer = await send('/login/passkey', token).send(JSON.stringify(body));
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
    }
    // Well-formed but garbage inside: the library's refusal, a 4xx.
    const { options } = await startPasskeyLogin(agent);
    const garbage = await send('/login/passkey', token).send(
      JSON.stringify({
        id: 'AAAA',
        rawId: 'AAAA',
        type: 'public-key',
        response: { clientDataJSON: 'bm90IGpzb24', authenticatorData: 'AAAA', signature: 'AAAA' },
        challenge: options.challenge,
      }),
    );
    expect(garbage.status).toBeGreaterThanOrEqual(400);
    expect(garbage.status).toBeLessThan(500);
    for (const response of ['x', { id: 1 }, null]) {
      expect((await addOptions(shopper, { name: 'Hostile' })).status).toBe(200);
      const answer = await postJson(shopper.agent, '/account/passkeys', shopper.csrf, { name: 'Hostile', response });
      expect({ response, status: answer.status }).toEqual({ response, status: 400 });
    }
  });
});

test('deleting the account deletes its passkeys', async () => {
  const { shopper, authenticator } = await shopperWithPasskey(shop, 'deleted');
  const userId = await userIdOf(shopper.email);
  expect(await Passkey.countDocuments({ userId })).toBe(1);
  const page = await shopper.agent.get('/account/delete').expect(200);
  expectRedirect(
    await shopper.agent
      .post('/account/delete')
      .type('form')
      .send({ _csrf: formCsrfTokenIn(page.text, '/account/delete'), currentPassword: shopper.password }),
    '/',
  );
  expect(await Passkey.countDocuments({ userId })).toBe(0);
  expect((await logInWithPasskey(request.agent(shop.app), authenticator)).status).toBe(401);
});

test('indexes: passkeys by shopper and by credential (unique); used challenges expire', async () => {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  const keys = async (name: string) =>
    (await db.collection(name).indexes()).map(({ key, unique, expireAfterSeconds }) => ({
      key,
      unique,
      expireAfterSeconds,
    }));
  expect(await keys('passkeys')).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ key: { userId: 1 } }),
      expect.objectContaining({ key: { credentialId: 1 }, unique: true }),
    ]),
  );
  expect(await keys('passkeychallenges')).toEqual(
    expect.arrayContaining([expect.objectContaining({ key: { expiresAt: 1 }, expireAfterSeconds: 0 })]),
  );
});
