import { PassThrough } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import { User } from '../../src/user.model';
import {
  csrfTokenFor,
  logIn,
  newShopper,
  sessionCookieOf,
  sessionIdSetBy,
  sessionsCollection,
  signUp,
  startTestShop,
  type TestShop,
} from '../helpers/shop';

const WRITE_DELAY_MS = 200;
let shop: TestShop;

beforeAll(async () => {
  // Every session write in this file takes 200 ms longer than it would.
  shop = await startTestShop('auth', { writeDelayMs: WRITE_DELAY_MS });
});

afterAll(async () => {
  await shop.close();
});

describe('login', () => {
  test('the session document is in MongoDB before the redirect reaches the client', async () => {
    const agent = request.agent(shop.app);
    const email = 'early-bird@example.com';
    await signUp(agent, email, 'a good password');
    const _csrf = await csrfTokenFor(agent, '/login');

    const started = Date.now();
    const response = await agent.post('/login').type('form').send({ _csrf, email, password: 'a good password' });
    // Queried the moment the response arrived, before anything else happens.
    const sessionId = sessionIdSetBy(response);
    const stored = await sessionsCollection().findOne({ _id: sessionId ?? '' });
    const elapsed = Date.now() - started;

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/');
    expect(elapsed).toBeGreaterThanOrEqual(WRITE_DELAY_MS);
    expect(stored?.session.isLoggedIn).toBe(true);
    const user = await User.findOne({ email }).lean();
    expect(stored?.session.user).toEqual({ _id: user!._id.toHexString(), email });
    // Only the id and email: no hash, no mongoose document.
    expect(JSON.stringify(stored)).not.toContain(user!.password);
    expect(Object.keys(stored!.session.user!)).toEqual(['_id', 'email']);
  });

  test('the session id changes on login', async () => {
    const agent = request.agent(shop.app);
    await signUp(agent, 'fixation@example.com', 'a good password');
    await signUp(request.agent(shop.app), 'fixation-2@example.com', 'a good password');
    // The visitor has no session before login: the login page sets none.
    expect(sessionIdSetBy(await agent.get('/login'))).toBeUndefined();
    const first = sessionIdSetBy(await logIn(agent, 'fixation@example.com', 'a good password'));
    expect(first).toBeDefined();

    // A session that exists when a login happens (here the agent's own) is never carried on.
    const response = await logIn(agent, 'fixation-2@example.com', 'a good password');
    const after = sessionIdSetBy(response);
    expect(after).toBeDefined();
    expect(after).not.toBe(first);
    // The earlier session is gone from the store.
    expect(await sessionsCollection().countDocuments({ _id: first! })).toBe(0);
  });

  test('a wrong password re-renders the form with 422, the email and never the password', async () => {
    const agent = request.agent(shop.app);
    await signUp(agent, 'typo@example.com', 'the right password');
    const response = await logIn(agent, 'typo@example.com', 'the wrong password');
    expect(response.status).toBe(422);
    expect(response.text).toContain('Invalid email or password.');
    expect(response.text).toContain('value="typo@example.com"');
    expect(response.text).not.toContain('the wrong password');
    expect((await agent.get('/cart')).headers.location).toMatch(/^\/login(\?|$)/);
  });

  test('an operator object as the email logs no one in and causes no 500', async () => {
    const agent = request.agent(shop.app);
    await signUp(agent, 'target@example.com', 'a good password');
    const _csrf = await csrfTokenFor(agent, '/login');
    const json = await agent.post('/login').send({ _csrf, email: { $gt: '' }, password: 'a good password' });
    expect(json.status).toBe(422);
    const bracketed = await agent.post('/login').type('form').send(`_csrf=${_csrf}&email[$gt]=&password=x`);
    expect(bracketed.status).toBe(422);
    const repeated = await agent
      .post('/login')
      .type('form')
      .send(`_csrf=${_csrf}&email=a@example.com&email=b@example.com&password=x`);
    expect(repeated.status).toBe(422);
    expect((await agent.get('/cart')).headers.location).toMatch(/^\/login(\?|$)/);
  });
});

describe('signup', () => {
  test('stores a bcrypt hash, never the password', async () => {
    const agent = request.agent(shop.app);
    const response = await signUp(agent, 'Hash.Me@Example.com', 'a good password');
    expect(response.status).toBe(302);
    expect(response.headers.location).toMatch(/^\/login(\?|$)/);
    const user = await User.findOne({ email: 'hash.me@example.com' }).lean();
    expect(user?.password).toMatch(/^\$2[aby]\$\d\d\$/);
    expect(user?.password).not.toContain('a good password');
  });

  test('a taken email gets the same answer as a new one, its owner a message, and no second account', async () => {
    const first = await signUp(request.agent(shop.app), 'taken@example.com', 'a good password');
    const again = await signUp(request.agent(shop.app), 'taken@example.com', 'another password');
    for (const response of [first, again]) {
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe('/login');
    }
    expect(await User.countDocuments({ email: 'taken@example.com' })).toBe(1);
    await shop.inbox.waitFor('taken@example.com', /Someone tried to sign up with your address/);
  });

  test('invalid fields are reported one by one with 422', async () => {
    const agent = request.agent(shop.app);
    const _csrf = await csrfTokenFor(agent, '/signup');
    const response = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf, email: 'not-an-email', password: 'short', confirmPassword: 'different' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Enter a valid email address.');
    expect(response.text).toContain('Use at least 8 characters.');
    expect(response.text).toContain('The passwords do not match.');
    expect(response.text).toContain('value="not-an-email"');
    expect(response.text).not.toContain('value="short"');
    expect(await User.countDocuments({ email: 'not-an-email' })).toBe(0);
  });
});

describe('passwords and session ids never reach the logs', () => {
  test('signup, login, a failed login and a password change log neither the password nor the cookie', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const logger = pino({ level: 'trace' }, stream);
    const app = createApp(shop.config, { sessionStore: shop.store, logger });
    const agent = request.agent(app);
    const password = 'Unmistakable-Passw0rd-123';
    const email = `logged-${Date.now()}@example.com`;

    await signUp(agent, email, password);
    await logIn(request.agent(app), email, 'Wrong-Guess-456');
    const login = await logIn(agent, email, password);
    const _csrf = await csrfTokenFor(agent, '/account/password');
    await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf, currentPassword: password, password: `${password}-new`, confirmPassword: `${password}-new` })
      .expect(302);

    const log = lines.join('');
    expect(log).toContain('/account/password');
    expect(log).not.toContain('Unmistakable');
    expect(log).not.toContain('Wrong-Guess');
    expect(log).not.toContain(sessionIdSetBy(login));
    expect(log).not.toContain(_csrf);
  });
});

describe('logout', () => {
  test('removes the session document, and the old cookie no longer authenticates', async () => {
    const shopper = await newShopper(shop.app, 'leaving');
    const cartPage = await shopper.agent.get('/cart');
    expect(cartPage.status).toBe(200);
    const oldCookie = await sessionCookieOf(shopper.agent);
    const sessionId = decodeURIComponent(oldCookie.slice('sid='.length)).slice(2).split('.')[0];
    expect(await sessionsCollection().countDocuments({ _id: sessionId })).toBe(1);

    const response = await shopper.agent.post('/logout').type('form').send({ _csrf: shopper.csrf });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/');
    expect(String(response.headers['set-cookie'])).toMatch(/sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(await sessionsCollection().countDocuments({ _id: sessionId })).toBe(0);

    // Replaying the old cookie by hand: it is anonymous now.
    const replay = await request(shop.app).get('/cart').set('Cookie', oldCookie);
    expect(replay.status).toBe(302);
    expect(replay.headers.location).toMatch(/^\/login(\?|$)/);
  });
});
