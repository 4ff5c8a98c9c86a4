import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import type { SessionData } from 'express-session';
import pino from 'pino';
import request from 'supertest';
import { promisify } from 'node:util';
import { createApp } from '../../src/app';
import { User } from '../../src/user.model';
import type { MongoSessionStore } from '../../src/sessions/mongo-session-store';
import type { SessionDocument } from '../../src/sessions/session-document';
import {
  csrfTokenIn,
  expectRedirect,
  logIn,
  newShopper,
  sessionCookieOf,
  sessionIdSetBy,
  sessionsCollection,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';

// A destroyed session stays destroyed: whatever a thief's requests in flight do, and however a
// session document comes back, log out everywhere and a password change end every session.

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('generation');
});

afterAll(async () => {
  await shop.close();
});

/** A second browser holding the same session: the thief's copy of the cookie. */
async function thiefOf(shopper: Shopper) {
  const cookie = await sessionCookieOf(shopper.agent);
  return {
    cookie,
    isLoggedIn: async () => (await request(shop.app).get('/cart').set('Cookie', cookie)).status === 200,
  };
}

async function logOutEverywhere(shopper: Shopper): Promise<void> {
  const _csrf = csrfTokenIn((await shopper.agent.get('/account').expect(200)).text);
  await shopper.agent.post('/account/logout-everywhere').type('form').send({ _csrf }).expect(302);
}

async function changePassword(shopper: Shopper): Promise<void> {
  const _csrf = csrfTokenIn((await shopper.agent.get('/account/password').expect(200)).text);
  const password = `${shopper.password}, changed`;
  await shopper.agent
    .post('/account/password')
    .type('form')
    .send({ _csrf, currentPassword: shopper.password, password, confirmPassword: password })
    .expect(302)
    .expect('Location', '/account');
}

/** The session's document as stored now, to put back by hand later. */
async function storedSession(cookie: string): Promise<SessionDocument> {
  const sessionId = decodeURIComponent(cookie.slice('sid='.length)).slice(2).split('.')[0];
  const stored = await sessionsCollection().findOne({ _id: sessionId });
  if (!stored) throw new Error('no such session');
  return stored;
}

describe('a session document that comes back does not authenticate', () => {
  test.each([
    ['log out everywhere', logOutEverywhere],
    ['a password change', changePassword],
  ])('after %s', async (_name, endSessions) => {
    const owner = await newShopper(shop.app, 'owner');
    const thief = await thiefOf(owner);
    const copy = await storedSession(thief.cookie);
    expect(await thief.isLoggedIn()).toBe(true);

    await endSessions(owner);
    expect(await thief.isLoggedIn()).toBe(false);
    // Put back exactly as it was (a write in flight, a restored backup, a replica lagging behind).
    await sessionsCollection().insertOne(copy);
    expect(await thief.isLoggedIn()).toBe(false);
    // And the refusal removed it again.
    expect(await sessionsCollection().countDocuments({ _id: copy._id })).toBe(0);
  });

  test('after a password change the owner stays logged in, on a new session in the new generation', async () => {
    const owner = await newShopper(shop.app, 'stays');
    await changePassword(owner);
    expect((await owner.agent.get('/cart')).status).toBe(200);
    const user = await User.findOne({ email: owner.email }).orFail();
    const session = await storedSession(await sessionCookieOf(owner.agent));
    expect(session.session.sessionGeneration).toBe(user.sessionGeneration);
    expect(user.sessionGeneration).toBe(1);
  });
});

describe('a write in flight when the sessions end does not bring one back', () => {
  /** What express-session does with a stored session for one request: `get`, then the store's `createSession`. */
  async function loadForRequest(store: MongoSessionStore, sessionId: string): Promise<SessionData> {
    const stored = await promisify(store.get.bind(store))(sessionId);
    if (!stored) throw new Error('session not found');
    const req = { sessionID: sessionId, sessionStore: store } as unknown as Request;
    return store.createSession(req, stored);
  }

  test.each([
    ['log out everywhere', logOutEverywhere],
    ['a password change', changePassword],
  ])('a slow session write of a request started before %s', async (_name, endSessions) => {
    // The slow store's writes land when the test says so: after the sessions ended, however busy the machine.
    let land = () => {};
    const landed = new Promise<void>((resolve) => (land = resolve));
    const { store: slowStore } = await shop.startAnotherInstance({ writeDelayMs: landed });
    const owner = await newShopper(shop.app, 'in-flight');
    const thief = await thiefOf(owner);
    const sessionId = (await storedSession(thief.cookie))._id;

    // The thief's request read the session and changed it; its write is on its way.
    const inFlight = await loadForRequest(slowStore, sessionId);
    inFlight.csrfToken = 'changed by a request in flight';
    const write = promisify(slowStore.set.bind(slowStore))(sessionId, inFlight);
    await endSessions(owner);
    land();
    await write;

    expect(await sessionsCollection().countDocuments({ _id: sessionId })).toBe(0);
    expect(await thief.isLoggedIn()).toBe(false);
  });
});

test('two parallel requests that change different fields of one session both keep their change', async () => {
  const shopper = await newShopper(shop.app, 'parallel');
  const sessionId = (await storedSession(await sessionCookieOf(shopper.agent)))._id;
  const load = async () => {
    const stored = await promisify(shop.store.get.bind(shop.store))(sessionId);
    const req = { sessionID: sessionId, sessionStore: shop.store } as unknown as Request;
    return shop.store.createSession(req, stored!);
  };
  const first = await load();
  const second = await load();
  // Each request changes its own field (written through the store as express-session would).
  first.csrfToken = 'from the first request';
  second.loggedInAt = 12345;
  const set = promisify(shop.store.set.bind(shop.store));
  await Promise.all([set(sessionId, first), set(sessionId, second)]);

  const stored = await sessionsCollection().findOne({ _id: sessionId });
  expect(stored?.session.csrfToken).toBe('from the first request');
  expect(stored?.session.loggedInAt).toBe(12345);
  expect(stored?.session.user?.email).toBe(shopper.email);
});

describe('the security log', () => {
  test('records logins, failures, logouts and refused sessions, with a hash and never the session id', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const app = createApp(shop.config, { sessionStore: shop.store, logger: pino({ level: 'info' }, stream) });

    const owner = await newShopper(app, 'audited');
    const sessionIds = [sessionIdSetBy(await logIn(request.agent(app), owner.email, owner.password))];
    const wrong = await logIn(request.agent(app), owner.email, 'not the password at all');
    expect(wrong.status).toBe(422);
    const thief = await thiefOf(owner);
    const copy = await storedSession(thief.cookie);
    sessionIds.push(copy._id);
    await logOutEverywhere(owner);
    // The thief's session, put back by hand, is refused.
    await sessionsCollection().insertOne(copy);
    await request(app).get('/cart').set('Cookie', thief.cookie).expect(302);
    const again = request.agent(app);
    const login = await logIn(again, owner.email, owner.password);
    expectRedirect(login, '/');
    sessionIds.push(sessionIdSetBy(login));
    const _csrf = csrfTokenIn((await again.get('/').expect(200)).text);
    await again.post('/logout').type('form').send({ _csrf }).expect(302);

    const events = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.log === 'security');
    const user = await User.findOne({ email: owner.email }).orFail();
    const userId = user._id.toHexString();
    expect(events.map((event) => event.event)).toEqual(
      expect.arrayContaining(['login', 'login-failed', 'logout-everywhere', 'logout']),
    );
    for (const event of events.filter((e) => e.event !== 'login-failed')) expect(event.userId).toBe(userId);
    for (const event of events) {
      expect(event.address).toMatch(/127\.0\.0\.1/);
      if (event.session !== undefined) expect(event.session).toMatch(/^[0-9a-f]{16}$/);
    }
    // The thief's cookie was refused, and said so.
    expect(events.some((event) => event.event === 'session-refused')).toBe(true);
    const log = lines.join('');
    for (const sessionId of sessionIds) {
      expect(sessionId).toBeDefined();
      expect(log).not.toContain(sessionId!);
    }
  });
});
