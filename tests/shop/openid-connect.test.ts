import crypto from 'node:crypto';
import { OpenIdConnect, SignInRefused } from '../../src/accounts/openid/openid-connect';
import type { OidcConfig } from '../../src/platform/config/account-security';
import { startTestOidcProvider, type LocalOidcProvider } from '../helpers/oidc-provider';

/*
 * openid-client 6, through the shop's src/accounts/openid-connect.ts, against a real OpenID
 * Provider (oidc-provider 9, tests/helpers/oidc-provider.ts) over real HTTP: discovery, the
 * authorization URL, the provider's login step, the callback, the code grant and the ID token.
 * What the shop's callback route will rely on: forged state, replayed code, wrong verifier or
 * nonce, a refusal at the provider: each a SignInRefused.
 */

const SHOP_URL = 'http://localhost:3999';
let provider: LocalOidcProvider;
let oidc: OpenIdConnect;

function settingsFor(op: LocalOidcProvider): OidcConfig {
  return {
    issuer: op.issuer,
    clientId: op.clientId,
    clientSecret: op.clientSecret,
    label: 'Local',
    redirectUri: `${SHOP_URL}/login/oidc/callback`,
    allowInsecureRequests: true,
  };
}

beforeAll(async () => {
  provider = await startTestOidcProvider({
    publicUrl: SHOP_URL,
    accounts: [
      { sub: 'ann-at-provider', email: 'ann@example.com', emailVerified: true },
      { sub: 'bob-at-provider', email: 'bob@example.com', emailVerified: false },
    ],
  });
  oidc = new OpenIdConnect(settingsFor(provider));
});

afterAll(async () => {
  await provider?.close();
});

/** The query string of a callback URL, as the shop's route reads it from req.originalUrl. */
const queryOf = (url: URL) => url.search.slice(1);

test('the authorization URL asks for a code with PKCE S256, state, nonce and the registered redirect_uri', async () => {
  const { url, checks } = await oidc.start();
  expect(url.origin + url.pathname).toBe(`${provider.issuer}/auth`);
  const params = Object.fromEntries(url.searchParams);
  expect(params).toEqual({
    client_id: provider.clientId,
    response_type: 'code',
    redirect_uri: `${SHOP_URL}/login/oidc/callback`,
    scope: 'openid email',
    code_challenge: crypto.createHash('sha256').update(checks.codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: checks.state,
    nonce: checks.nonce,
  });
  // Fresh random values each time, long enough not to be guessed.
  const again = await oidc.start();
  for (const key of ['state', 'nonce', 'codeVerifier'] as const) {
    expect(again.checks[key]).not.toBe(checks[key]);
    expect(checks[key].length).toBeGreaterThanOrEqual(43);
  }
});

test('a login at the provider comes back with a code; the grant gives the ID token claims', async () => {
  const { url, checks } = await oidc.start();
  const callback = await provider.authorize(url, { as: 'ann-at-provider' });
  expect(callback.origin + callback.pathname).toBe(`${SHOP_URL}/login/oidc/callback`);
  expect(callback.searchParams.get('state')).toBe(checks.state);
  expect(callback.searchParams.get('iss')).toBe(provider.issuer);
  expect(callback.searchParams.get('code')).toEqual(expect.any(String));

  await expect(oidc.finish(queryOf(callback), checks)).resolves.toEqual({
    issuer: provider.issuer,
    subject: 'ann-at-provider',
    email: 'ann@example.com',
    emailVerified: true,
  });
});

test('an address the provider does not vouch for is emailVerified: false', async () => {
  const { url, checks } = await oidc.start();
  const callback = await provider.authorize(url, { as: 'bob-at-provider' });
  expect(await oidc.finish(queryOf(callback), checks)).toMatchObject({
    subject: 'bob-at-provider',
    emailVerified: false,
  });
});

test('a login_hint naming an account logs it in too (no loginAs)', async () => {
  const { url, checks } = await oidc.start();
  url.searchParams.set('login_hint', 'bob-at-provider');
  const callback = await provider.authorize(url);
  expect((await oidc.finish(queryOf(callback), checks)).subject).toBe('bob-at-provider');
});

test('a forged or missing state is refused before the code is sent to the provider', async () => {
  const { url, checks } = await oidc.start();
  const callback = await provider.authorize(url, { as: 'ann-at-provider' });
  const forged = new URLSearchParams(queryOf(callback));
  forged.set('state', 'forged-state-from-an-attacker');
  await expect(oidc.finish(forged.toString(), checks)).rejects.toThrow(SignInRefused);
  await expect(oidc.finish(forged.toString(), checks)).rejects.toThrow('unexpected "state" response parameter value');
  const missing = new URLSearchParams(queryOf(callback));
  missing.delete('state');
  await expect(oidc.finish(missing.toString(), checks)).rejects.toThrow('response parameter "state" missing');
  // The other way round: the attacker's callback carries their own state, the visitor's cookie another.
  await expect(oidc.finish(queryOf(callback), { ...checks, state: 'the-visitors-own' })).rejects.toThrow(SignInRefused);
  // The code itself was never sent: the right state still signs in.
  expect((await oidc.finish(queryOf(callback), checks)).subject).toBe('ann-at-provider');
});

test('a replayed callback is refused: the provider takes a code once', async () => {
  const { url, checks } = await oidc.start();
  const callback = await provider.authorize(url, { as: 'ann-at-provider' });
  await oidc.finish(queryOf(callback), checks);
  const replay = oidc.finish(queryOf(callback), checks);
  await expect(replay).rejects.toThrow(SignInRefused);
  await expect(replay).rejects.toThrow(/invalid_grant/);
});

test('a code with another verifier or nonce (another visit) is refused', async () => {
  const first = await oidc.start();
  const other = await oidc.start();
  const callback = await provider.authorize(first.url, { as: 'ann-at-provider' });
  // PKCE: the provider refuses a verifier that does not match the challenge it saw.
  await expect(
    oidc.finish(queryOf(callback), { ...first.checks, codeVerifier: other.checks.codeVerifier }),
  ).rejects.toThrow(/invalid_grant/);
  const again = await oidc.start();
  const callback2 = await provider.authorize(again.url, { as: 'ann-at-provider' });
  await expect(oidc.finish(queryOf(callback2), { ...again.checks, nonce: other.checks.nonce })).rejects.toThrow(
    'unexpected ID Token "nonce" claim value',
  );
});

test('a callback naming another issuer (mix-up), or without a code, is refused', async () => {
  const { url, checks } = await oidc.start();
  const callback = await provider.authorize(url, { as: 'ann-at-provider' });
  const mixUp = new URLSearchParams(queryOf(callback));
  mixUp.set('iss', 'https://attacker.example');
  await expect(oidc.finish(mixUp.toString(), checks)).rejects.toThrow(
    'unexpected "iss" (issuer) response parameter value',
  );
  const noCode = new URLSearchParams(queryOf(callback));
  noCode.delete('code');
  await expect(oidc.finish(noCode.toString(), checks)).rejects.toThrow(SignInRefused);
  await expect(oidc.finish('', checks)).rejects.toThrow(SignInRefused);
});

test('the person declining at the provider comes back as error=access_denied, refused', async () => {
  const { url, checks } = await oidc.start();
  provider.denyNextLogin();
  const callback = await provider.authorize(url);
  expect(callback.searchParams.get('error')).toBe('access_denied');
  expect(callback.searchParams.get('state')).toBe(checks.state);
  await expect(oidc.finish(queryOf(callback), checks)).rejects.toThrow(/access_denied/);
});

test('the provider requires PKCE: a request without a challenge is turned back', async () => {
  const { url } = await oidc.start();
  url.searchParams.delete('code_challenge');
  url.searchParams.delete('code_challenge_method');
  const callback = await provider.authorize(url, { as: 'ann-at-provider' });
  expect(callback.searchParams.get('error')).toBe('invalid_request');
  expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  expect(callback.searchParams.get('code')).toBeNull();
});

test('a strict provider (email only at userinfo): the address is read there', async () => {
  const strict = await startTestOidcProvider({
    publicUrl: SHOP_URL,
    accounts: [{ sub: 'cat', email: 'cat@example.com', emailVerified: true }],
    emailClaimsIn: 'userinfo',
  });
  try {
    const client = new OpenIdConnect(settingsFor(strict));
    const { url, checks } = await client.start();
    const callback = await strict.authorize(url, { as: 'cat' });
    expect(await client.finish(queryOf(callback), checks)).toMatchObject({
      email: 'cat@example.com',
      emailVerified: true,
    });
  } finally {
    await strict.close();
  }
});

test('a provider that cannot be reached is not a refusal, and is asked again next time', async () => {
  const gone = await startTestOidcProvider({ publicUrl: SHOP_URL });
  const client = new OpenIdConnect(settingsFor(gone));
  await gone.close();
  const attempt = client.start();
  await expect(attempt).rejects.toThrow();
  await expect(attempt).rejects.not.toBeInstanceOf(SignInRefused);
  await expect(client.start()).rejects.toThrow();
});
