import request from 'supertest';
import { User } from '../../src/user.model';
import { capturingLogger } from '../helpers/logs';
import {
  LABEL,
  isLoggedIn,
  loggedInSessionsOf,
  newPerson,
  startOidcShop,
  throughProvider,
  type OidcShop,
} from '../helpers/oidc-shop';
import { expectRedirect } from '../helpers/shop';

/*
 * The callbacks of a sign-in with an OpenID provider that must log no one in, against a real
 * provider started by the test: a forged state, an attacker's callback, a replayed callback, a
 * changed cookie, the person declining at the provider, hostile queries. Each a 4xx page.
 */

const { logger, lines } = capturingLogger();
let oidc: OidcShop;

beforeAll(async () => {
  oidc = await startOidcShop('oidc-callbacks', { logger });
});

afterAll(async () => {
  await oidc?.close();
});

function securityEvents(): string[] {
  return lines.filter((line) => line.log === 'security').map((line) => String(line.event));
}

describe('callbacks that log no one in', () => {
  test('a forged state: 400, nobody logged in, the code never sent to the provider', async () => {
    const person = newPerson(oidc.provider);
    const agent = request.agent(oidc.shop.app);
    const start = await agent.get('/login/oidc').expect(302);
    const sealed = String(start.headers['set-cookie']).split(';')[0];
    const callback = await oidc.provider.authorize(start.headers.location, { as: person.sub });
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-by-an-attacker');
    const answer = await agent.get(forged.pathname + forged.search);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain(`Signing in with ${LABEL} did not succeed`);
    expect(answer.text).not.toMatch(/at .*\.ts:\d+/);
    expect(await isLoggedIn(agent)).toBe(false);
    expect(await User.exists({ email: person.email })).toBeNull();
    // The refusal came before the code was sent: with the right state, that same code still works.
    const genuine = await request(oidc.shop.app)
      .get(callback.pathname + callback.search)
      .set('Cookie', sealed);
    expectRedirect(genuine, '/');
  });

  test("an attacker's callback in the victim's browser (their own state): refused", async () => {
    const attacker = newPerson(oidc.provider);
    const attackerCallback = await throughProvider(oidc.provider, request.agent(oidc.shop.app), attacker.sub);
    const victim = request.agent(oidc.shop.app);
    await victim.get('/login/oidc').expect(302);
    expect((await victim.get(attackerCallback)).status).toBe(400);
    expect(await isLoggedIn(victim)).toBe(false);
    // Without any sign-in started in the browser: refused too.
    expect((await request(oidc.shop.app).get(attackerCallback)).status).toBe(400);
    expect(await User.exists({ email: attacker.email })).toBeNull();
  });

  test('a replayed callback is refused: the cookie is single use, and the provider takes a code once', async () => {
    const person = newPerson(oidc.provider);
    const agent = request.agent(oidc.shop.app);
    const start = await agent.get('/login/oidc').expect(302);
    const sealed = String(start.headers['set-cookie']).split(';')[0];
    const callback = await oidc.provider.authorize(start.headers.location, { as: person.sub });
    const path = callback.pathname + callback.search;
    expectRedirect(await agent.get(path), '/');
    const cleared = await agent.get(path);
    expect(cleared.status).toBe(400);
    // The same cookie sent again by hand, in another browser: the code was used.
    const replay = await request(oidc.shop.app).get(path).set('Cookie', sealed);
    expect(replay.status).toBe(400);
    expect(await loggedInSessionsOf(person.email)).toBe(1);
  });

  test('a changed cookie opens to nothing: refused', async () => {
    const person = newPerson(oidc.provider);
    const start = await request(oidc.shop.app).get('/login/oidc').expect(302);
    const sealed = String(start.headers['set-cookie']).split(';')[0];
    const callback = await oidc.provider.authorize(start.headers.location, { as: person.sub });
    const changed = sealed.slice(0, -3) + (sealed.endsWith('A') ? 'BBB' : 'AAA');
    const answer = await request(oidc.shop.app)
      .get(callback.pathname + callback.search)
      .set('Cookie', changed);
    expect(answer.status).toBe(400);
  });

  test('the person declining at the provider (access_denied): a 4xx page', async () => {
    const agent = request.agent(oidc.shop.app);
    const start = await agent.get('/login/oidc').expect(302);
    oidc.provider.denyNextLogin();
    const callback = await oidc.provider.authorize(start.headers.location);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const answer = await agent.get(callback.pathname + callback.search);
    expect(answer.status).toBe(400);
    expect(await isLoggedIn(agent)).toBe(false);
    expect(securityEvents()).toContain('provider-sign-in-refused');
  });

  test('hostile callbacks: no query, arrays, a huge cookie: 4xx, never a 500', async () => {
    const agent = request.agent(oidc.shop.app);
    await agent.get('/login/oidc').expect(302);
    expect((await agent.get('/login/oidc/callback')).status).toBe(400);
    expect((await request(oidc.shop.app).get('/login/oidc/callback?state=a&state=b&code[x]=1')).status).toBe(400);
    const huge = await request(oidc.shop.app)
      .get('/login/oidc/callback?code=x&state=y')
      .set('Cookie', `oidc=${'v1:'.padEnd(5000, 'A')}`);
    expect(huge.status).toBe(400);
    expect((await request(oidc.shop.app).get('/login/oidc?returnTo=//evil.example')).status).toBe(302);
  });
});
