import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { configLoader } from '../helpers/config';

// TOTP_KEY and OIDC_* (src/platform/config/account-security.ts), read through loadConfig.
const { dataDir, load, problemsOf, remove } = configLoader('account-security-config');
afterAll(remove);

const PRODUCTION = { NODE_ENV: 'production', MONGODB_URI: 'mongodb://db:27017/shop', SESSION_SECRET: 'x'.repeat(40) };
const OIDC = {
  OIDC_ISSUER: 'https://accounts.example.com',
  OIDC_CLIENT_ID: 'shop',
  OIDC_CLIENT_SECRET: 's'.repeat(24),
};

describe('TOTP_KEY', () => {
  test('development generates one key, keeps it in .data/totp-key (owner only) and reads it back', () => {
    const first = load({}).accountSecurity;
    expect(first.totpKeyGenerated).toBe(true);
    expect(first.totpKeys).toHaveLength(1);
    expect(first.totpKeys?.[0]).toHaveLength(32);
    const file = path.join(dataDir, 'totp-key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(load({}).accountSecurity.totpKeys).toEqual(first.totpKeys);
  });

  test('tests get a key of their own per process, nothing written', () => {
    const testDir = path.join(path.dirname(dataDir), 'test-data');
    const config = load({ NODE_ENV: 'test' }, { dataDir: testDir });
    expect(config.accountSecurity.totpKeys?.[0]).toHaveLength(32);
    expect(fs.existsSync(testDir)).toBe(false);
  });

  test('a given key is used as it is; a comma-separated list rotates (the first seals)', () => {
    const [current, old] = [crypto.randomBytes(32), crypto.randomBytes(32)];
    const config = load({ TOTP_KEY: `${current.toString('base64')}, ${old.toString('hex')}` }).accountSecurity;
    expect(config).toEqual(expect.objectContaining({ totpKeys: [current, old], totpKeyGenerated: false }));
  });

  test('a malformed key stops the start, without echoing it', () => {
    const problems = problemsOf({ TOTP_KEY: 'my-secret-passphrase' });
    expect(problems).toEqual([expect.stringMatching(/^TOTP_KEY must be 32 random bytes .*randomBytes\(32\)/)]);
    expect(problems[0]).not.toContain('my-secret-passphrase');
    expect(problemsOf({ TOTP_KEY: `${crypto.randomBytes(32).toString('hex')},short` })).toHaveLength(1);
  });

  test('production never generates one: without TOTP_KEY the second factor is off, the start is not refused', () => {
    const config = load(PRODUCTION).accountSecurity;
    expect(config.totpKeys).toBeUndefined();
    expect(config.totpKeyGenerated).toBe(false);
    const key = crypto.randomBytes(32);
    expect(load({ ...PRODUCTION, TOTP_KEY: key.toString('base64') }).accountSecurity.totpKeys).toEqual([key]);
  });
});

describe('OIDC_*', () => {
  test('absent: no provider (the button is absent)', () => {
    expect(load({}).accountSecurity.oidc).toBeUndefined();
  });

  test('all three set: the provider, its label, and the callback at PUBLIC_URL', () => {
    expect(
      load({ ...OIDC, OIDC_LABEL: 'Example', PUBLIC_URL: 'https://shop.example.com/' }).accountSecurity.oidc,
    ).toEqual({
      issuer: 'https://accounts.example.com',
      clientId: 'shop',
      clientSecret: 's'.repeat(24),
      label: 'Example',
      redirectUri: 'https://shop.example.com/login/oidc/callback',
      allowInsecureRequests: false,
    });
    expect(load(OIDC).accountSecurity.oidc).toMatchObject({
      label: 'OpenID',
      redirectUri: 'http://localhost:3000/login/oidc/callback',
    });
  });

  test('a plain-HTTP issuer: allowed outside production only', () => {
    const local = { ...OIDC, OIDC_ISSUER: 'http://localhost:3001' };
    expect(load(local).accountSecurity.oidc?.allowInsecureRequests).toBe(true);
    expect(problemsOf({ ...PRODUCTION, ...local, PUBLIC_URL: 'https://shop.example.com' })).toEqual([
      'OIDC_ISSUER must use https:// in production (got "http://localhost:3001")',
    ]);
  });

  test('each incomplete or malformed setting is named', () => {
    expect(problemsOf({ OIDC_ISSUER: 'https://accounts.example.com' })).toEqual([
      'OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set too: sign-in with an OpenID provider needs all three',
    ]);
    expect(problemsOf({ OIDC_LABEL: 'Google' })).toEqual([expect.stringMatching(/^OIDC_LABEL is set but OIDC_ISSUER/)]);
    expect(problemsOf({ ...OIDC, OIDC_ISSUER: 'accounts.example.com' })).toEqual([
      expect.stringMatching(/^OIDC_ISSUER must be the provider's https:\/\/ address/),
    ]);
    expect(problemsOf({ ...OIDC, OIDC_ISSUER: 'https://accounts.example.com/?x=1' })).toHaveLength(1);
    expect(problemsOf({ ...OIDC, OIDC_LABEL: '<b>Google</b>' })).toEqual([
      expect.stringMatching(/^OIDC_LABEL must be/),
    ]);
    expect(problemsOf({ ...PRODUCTION, ...OIDC })).toEqual([
      expect.stringMatching(/^PUBLIC_URL is required .* OIDC_ISSUER/),
    ]);
    expect(
      problemsOf({ ...PRODUCTION, ...OIDC, OIDC_CLIENT_SECRET: 'short', PUBLIC_URL: 'https://shop.example.com' }),
    ).toEqual([expect.stringMatching(/^OIDC_CLIENT_SECRET looks too short/)]);
  });
});
