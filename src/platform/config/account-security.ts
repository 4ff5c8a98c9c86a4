import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeEnv } from './types';
import { parseSecretKey } from '../crypto/secret-keys';

/**
 * The keys of the accounts' second factors and sign-in with an OpenID provider: `TOTP_KEY` and
 * `OIDC_*`. The config's section; config.ts calls `readAccountSecurity` once.
 */
export interface AccountSecurityConfig {
  /**
   * `TOTP_KEY`: 32-byte keys that encrypt the TOTP secrets and key the recovery codes' hashes; the
   * first seals, all open (rotation). Undefined in production when unset: the second factor is then
   * not offered (see docs/security.md); in development generated once and kept in `.data/totp-key`,
   * in tests generated per process.
   */
  totpKeys?: Buffer[];
  /** True when no TOTP_KEY was given and one was generated (development and tests). */
  totpKeyGenerated: boolean;
  /** Sign in with an OpenID provider: only when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are set. */
  oidc?: OidcConfig;
}

export interface OidcConfig {
  /** `OIDC_ISSUER`: the provider's issuer identifier, whose discovery document is at /.well-known/openid-configuration. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `OIDC_LABEL`: the button's word ("Log in with Google"). */
  label: string;
  /** `PUBLIC_URL` + /login/oidc/callback: register exactly this address at the provider. */
  redirectUri: string;
  /** A plain-HTTP issuer (a local provider, the tests' one): never in production. */
  allowInsecureRequests: boolean;
}

export const OIDC_CALLBACK_PATH = '/login/oidc/callback';

interface Context {
  nodeEnv: NodeEnv;
  /** Where development keeps what it generates: `.data/`. */
  dataDir: string;
  /** The shop's address, as config.ts settled it; `PUBLIC_URL` itself is read again to know if it was given. */
  publicUrl: string;
}

const GENERATE_KEY = `node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`;

export function readAccountSecurity(
  read: (key: string) => string | undefined,
  { nodeEnv, dataDir, publicUrl }: Context,
  problems: string[],
): AccountSecurityConfig {
  const isProduction = nodeEnv === 'production';
  let totpKeys: Buffer[] | undefined;
  let totpKeyGenerated = false;
  const rawTotpKey = read('TOTP_KEY');
  if (rawTotpKey !== undefined) {
    const parsed = rawTotpKey.split(',').map((part) => parseSecretKey(part.trim()));
    // Never echoed: a key, even a malformed one, is a secret.
    if (parsed.some((key) => key === undefined)) {
      problems.push(
        `TOTP_KEY must be 32 random bytes written as 64 hex digits or in base64 (a comma-separated list rotates: ` +
          `the first encrypts, all decrypt); generate one with: ${GENERATE_KEY}`,
      );
    } else totpKeys = parsed.filter((key) => key !== undefined);
  } else if (!isProduction) {
    // Kept in development, so that a restart of `npm run dev` does not lose every second factor.
    totpKeys = [nodeEnv === 'development' ? keptKey(dataDir) : crypto.randomBytes(32)];
    totpKeyGenerated = true;
  }

  return { totpKeys, totpKeyGenerated, oidc: readOidc(read, isProduction, publicUrl, problems) };
}

function readOidc(
  read: (key: string) => string | undefined,
  isProduction: boolean,
  publicUrl: string,
  problems: string[],
): OidcConfig | undefined {
  const issuer = read('OIDC_ISSUER');
  const clientId = read('OIDC_CLIENT_ID');
  const clientSecret = read('OIDC_CLIENT_SECRET');
  const rawLabel = read('OIDC_LABEL');
  const given = { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret };
  if (Object.values(given).every((value) => value === undefined)) {
    if (rawLabel !== undefined) problems.push('OIDC_LABEL is set but OIDC_ISSUER is not: set all of OIDC_* or none');
    return undefined;
  }
  const missing = Object.entries(given)
    .filter(([, value]) => value === undefined)
    .map(([key]) => key);
  if (missing.length > 0) {
    problems.push(`${missing.join(' and ')} must be set too: sign-in with an OpenID provider needs all three`);
  }
  let allowInsecureRequests = false;
  if (issuer !== undefined) {
    const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
    if (url === undefined || !/^https?:$/.test(url.protocol) || url.search !== '' || url.hash !== '') {
      problems.push(
        `OIDC_ISSUER must be the provider's https:// address, such as https://accounts.google.com (got "${issuer}")`,
      );
    } else if (url.protocol === 'http:') {
      if (isProduction) problems.push(`OIDC_ISSUER must use https:// in production (got "${issuer}")`);
      else allowInsecureRequests = true;
    }
  }
  if (clientSecret !== undefined && isProduction && clientSecret.length < 16) {
    problems.push('OIDC_CLIENT_SECRET looks too short for a secret the provider issued (under 16 characters)');
  }
  if (isProduction && read('PUBLIC_URL') === undefined) {
    problems.push(
      `PUBLIC_URL is required when NODE_ENV=production and OIDC_ISSUER is set: the provider sends shoppers back to ` +
        `PUBLIC_URL${OIDC_CALLBACK_PATH}`,
    );
  }
  const label = rawLabel ?? 'OpenID';
  if (!/^[^<>\p{Cc}]{1,40}$/u.test(label)) {
    problems.push(`OIDC_LABEL must be a short name of 1 to 40 characters, such as Google (got "${label}")`);
  }
  if (missing.length > 0 || issuer === undefined || clientId === undefined || clientSecret === undefined)
    return undefined;
  return {
    issuer,
    clientId,
    clientSecret,
    label,
    redirectUri: `${publicUrl}${OIDC_CALLBACK_PATH}`,
    allowInsecureRequests,
  };
}

/** The development key under `dataDir` (git-ignored), made on first use, readable by its owner only. */
function keptKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'totp-key');
  const kept = readKey(file);
  if (kept !== undefined) return kept;
  const key = crypto.randomBytes(32);
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    // 'wx': of two processes starting at once, one writes its key and both use it (read back below).
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    // Made by another process meanwhile, or a read-only checkout: second factors then last until a restart.
  }
  return readKey(file) ?? key;
}

function readKey(file: string): Buffer | undefined {
  try {
    return parseSecretKey(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}
