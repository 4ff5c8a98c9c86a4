import crypto from 'node:crypto';

/** The length of an AES-256 key, and of every key the shop derives for its secrets. */
export const SECRET_KEY_BYTES = 32;

/**
 * A 32-byte key written as 64 hex digits or in base64 (standard or URL-safe, padded or not);
 * undefined for anything else, so that a typo never becomes a weak key.
 */
export function parseSecretKey(text: string): Buffer | undefined {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  const base64url = text.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  if (!/^[\w-]{43}$/.test(base64url)) return undefined;
  const key = Buffer.from(base64url, 'base64url');
  // 43 characters carry 258 bits: unless the spare two are zero, the text was not written from 32 bytes.
  return key.toString('base64url') === base64url ? key : undefined;
}

/**
 * A key's own short name, written beside what it sealed: with several keys configured (rotation),
 * the right one is found at once, and a value sealed by a key since removed is recognised as such.
 * Derived one-way, so it says nothing of the key.
 */
export function keyId(key: Buffer): string {
  return crypto.createHmac('sha256', key).update('session-shop key id').digest('base64url').slice(0, 8);
}

/**
 * One key per use from each configured key (HKDF-SHA256), so that the key which encrypts TOTP
 * secrets never also keys the recovery codes' hashes.
 */
export function deriveKey(key: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), `session-shop ${purpose}`, SECRET_KEY_BYTES));
}
