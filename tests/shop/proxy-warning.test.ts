import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config';
import { capturingLogger, LEVEL, type LogLine } from '../helpers/logs';
import { csrfTokenIn, expectRedirect, PRODUCTION_URI, signUp, startTestShop, type TestShop } from '../helpers/shop';

/*
 * Behind a TLS-terminating proxy without TRUST_PROXY, production's Secure session cookie is never
 * set and every form answers "Request refused". The log says why, once, naming TRUST_PROXY.
 */

let shop: TestShop;
const email = 'behind-proxy@example.com';
const password = 'correct horse battery';

beforeAll(async () => {
  shop = await startTestShop('proxy-warning');
  expectRedirect(await signUp(request.agent(shop.app), email, password), '/login');
});

afterAll(async () => {
  await shop.close();
});

function productionApp(env: Record<string, string> = {}) {
  const { logger, lines } = capturingLogger();
  const config = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: 'x'.repeat(40),
    MONGODB_URI: PRODUCTION_URI,
    ...env,
  });
  const app = createApp({ ...config, mail: shop.config.mail }, { sessionStore: shop.store, logger });
  const warnings = () =>
    lines.filter((line: LogLine) => line.level === LEVEL.warn && line.event === 'insecure-request');
  return { app, warnings };
}

/** A browser on HTTPS behind the proxy: the proxy adds X-Forwarded-Proto; cookies as the browser keeps them. */
async function logInThroughProxy(app: ReturnType<typeof productionApp>['app']) {
  const page = await request(app).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
  const visitorCookie = String(page.headers['set-cookie']).split(';')[0];
  const login = await request(app)
    .post('/login')
    .set('X-Forwarded-Proto', 'https')
    .set('Cookie', visitorCookie)
    .type('form')
    .send({ _csrf: csrfTokenIn(page.text), email, password });
  const sessionCookie = String(login.headers['set-cookie'] ?? '')
    .split(/,(?=\s*__Host-)/)
    .find((cookie) => cookie.trim().startsWith('__Host-sid='));
  return { login, visitorCookie, sessionCookie };
}

test('without TRUST_PROXY: no session cookie, refused forms, and one warning that names TRUST_PROXY', async () => {
  const { app, warnings } = productionApp();
  const { login, visitorCookie, sessionCookie } = await logInThroughProxy(app);
  // The password was right, but express-session never sends a Secure cookie on what it sees as HTTP.
  expect(login.status).toBe(302);
  expect(sessionCookie).toBeUndefined();

  for (let n = 0; n < 3; n++) {
    const refused = await request(app)
      .post('/logout')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', visitorCookie)
      .type('form')
      .send({ _csrf: 'whatever' })
      .expect(403);
    expect(refused.text).toContain('Request refused');
  }
  expect(warnings()).toHaveLength(1);
  const [warning] = warnings();
  expect(warning.msg).toMatch(/X-Forwarded-Proto: https, but TRUST_PROXY is not set/);
  expect(warning.msg).toContain('__Host-sid');
  expect(warning).toMatchObject({ cookie: '__Host-sid', forwardedProto: 'https', trustProxy: false });
});

test('with TRUST_PROXY=1 the same shopper logs in, and a refused form is no proxy problem: no warning', async () => {
  const { app, warnings } = productionApp({ TRUST_PROXY: '1' });
  const { sessionCookie } = await logInThroughProxy(app);
  expect(sessionCookie).toMatch(/^__Host-sid=.*; Secure/);
  // A forged form from a visitor with no session: refused, as always, and nothing to warn about.
  await request(app)
    .post('/cart')
    .set('X-Forwarded-Proto', 'https')
    .type('form')
    .send({ _csrf: 'forged', productId: 'x' })
    .expect(403);
  expect(warnings()).toEqual([]);
});

test('plain HTTP in production: the visitor form is refused, the warning says HTTPS and TRUST_PROXY', async () => {
  const { app, warnings } = productionApp();
  const page = await request(app).get('/login').expect(200);
  // The browser drops a Secure cookie that came over plain HTTP: the POST arrives without it.
  await request(app)
    .post('/login')
    .type('form')
    .send({ _csrf: csrfTokenIn(page.text), email, password })
    .expect(403);
  expect(warnings()).toHaveLength(1);
  expect(warnings()[0].msg).toMatch(/plain HTTP.*__Host-csrf.*HTTPS.*TRUST_PROXY/);
});

test('a refused form that did carry its cookie (a stale or forged token) warns of nothing', async () => {
  const { app, warnings } = productionApp();
  const page = await request(app).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
  const visitorCookie = String(page.headers['set-cookie']).split(';')[0];
  await request(app)
    .post('/login')
    .set('X-Forwarded-Proto', 'https')
    .set('Cookie', visitorCookie)
    .type('form')
    .send({ _csrf: 'not-the-token', email, password })
    .expect(403);
  expect(warnings()).toEqual([]);
});

test('outside production (no Secure cookies) nothing is said', async () => {
  const { logger, lines } = capturingLogger();
  const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: 'x'.repeat(40) });
  const app = createApp({ ...config, mail: shop.config.mail }, { sessionStore: shop.store, logger });
  await request(app).post('/logout').set('X-Forwarded-Proto', 'https').type('form').send({}).expect(403);
  expect(lines.filter((line) => line.event === 'insecure-request')).toEqual([]);
});
