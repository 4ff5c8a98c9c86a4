import QRCode from 'qrcode';
import { Secret, TOTP } from 'otpauth';

/**
 * TOTP (RFC 6238) as every authenticator app reads it: SHA-1, 6 digits, 30 seconds (otpauth).
 * Codes from one step before or after now are accepted (a phone's clock a little off, a code typed
 * as it changed); `lastStep` makes each code, and every older one, usable once.
 */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
const ALGORITHM = 'SHA1';
const WINDOW = 1;

/** A new secret: 20 random bytes (RFC 4226's recommended 160 bits), in base32 as apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label = 'account', issuer = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/** The `otpauth://totp/...` address an app adds the account from (the QR code holds it). */
export function totpUri(secret: string, { issuer, account }: { issuer: string; account: string }): string {
  return totp(secret, account, issuer).toString();
}

/**
 * The QR code of `uri` as an SVG image in a `data:` address, for `<img src="<%= qr %>">`: escaped
 * output, no inline markup (the CSP's img-src allows data:). The SVG uses attributes only, no style.
 */
export async function totpQrCode(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** The time step (30-second slot since the epoch) of a moment. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code for a moment: what the app shows (tests compute it from the shown secret). */
export function totpCode(secret: string, nowMs: number): string {
  return totp(secret).generate({ timestamp: nowMs });
}

/**
 * The time step of the code if it is right and newer than `lastStep` (store it as the new
 * `lastStep`), else undefined. Spaces in the code are ignored; anything but 6 digits is refused
 * without computing a code. Comparison in constant time (otpauth).
 */
export function checkTotp(
  secret: string,
  input: string,
  { nowMs, lastStep }: { nowMs: number; lastStep?: number },
): number | undefined {
  const code = input.replace(/\s/g, '');
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret).validate({ token: code, timestamp: nowMs, window: WINDOW });
  if (delta === null) return undefined;
  const step = totpStep(nowMs) + delta;
  return lastStep !== undefined && step <= lastStep ? undefined : step;
}
