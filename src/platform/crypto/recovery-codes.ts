import crypto from 'node:crypto';
import { deriveKey, keyId } from './secret-keys';

/** Lower-case letters and digits without the look-alikes 0/o, 1/l/i: 31 symbols. */
export const RECOVERY_CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const LENGTH = GROUPS * GROUP_LENGTH;
/** 12 symbols of 31: 59 bits each, far beyond guessing through a rate-limited form. */
export const RECOVERY_CODE_BITS = Math.floor(LENGTH * Math.log2(RECOVERY_CODE_ALPHABET.length));
export const RECOVERY_CODE_COUNT = 10;
const VERSION = 'v1';

/** One code as shown: `k7wq-3mzt-9xfa`. */
export function generateRecoveryCode(): string {
  const symbols = Array.from(
    { length: LENGTH },
    () => RECOVERY_CODE_ALPHABET[crypto.randomInt(RECOVERY_CODE_ALPHABET.length)],
  );
  return Array.from({ length: GROUPS }, (_, group) =>
    symbols.slice(group * GROUP_LENGTH, (group + 1) * GROUP_LENGTH).join(''),
  ).join('-');
}

/**
 * A code as typed, in the form its hash is made of: case, spaces and hyphens do not matter
 * (`K7WQ 3MZT 9XFA`, `k7wq3mzt9xfa`). Undefined when it cannot be a code: no hash is computed for it.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  const code = input.toLowerCase().replace(/[\s\u2010-\u2015-]/g, '');
  if (code.length !== LENGTH) return undefined;
  for (const symbol of code) if (!RECOVERY_CODE_ALPHABET.includes(symbol)) return undefined;
  return code;
}

/**
 * Recovery codes are stored as `v1:<key id>:<HMAC-SHA256>` of the normalised code, keyed by a key
 * derived from `TOTP_KEY`. Why not bcrypt: a code is 59 random bits, not a password people choose.
 * With the key outside the database, a stolen copy of the hashes cannot be searched at all; even
 * with it, one code costs about two GPU-years of SHA-256. bcrypt would add nothing worth having,
 * and cost one slow comparison per stored code at every attempt (no lookup by hash possible).
 * The hash is deterministic: the service finds and removes a used code in one atomic update
 * (`$pull` of any of `candidates(input)`), so a code works once even under concurrent requests.
 */
export class RecoveryCodes {
  private readonly keys: { id: string; key: Buffer }[];

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('RecoveryCodes needs at least one key');
    this.keys = keys.map((key) => ({ id: keyId(key), key: deriveKey(key, 'recovery codes v1') }));
  }

  /** A new set: the codes to show once, and their hashes to store (with the current key). */
  generate(count = RECOVERY_CODE_COUNT): { codes: string[]; hashes: string[] } {
    const codes = new Set<string>();
    while (codes.size < count) codes.add(generateRecoveryCode());
    return { codes: [...codes], hashes: [...codes].map((code) => this.hash(this.keys[0], code)) };
  }

  /**
   * The hashes a typed code would have been stored as, one per configured key (current first):
   * what to look for. Empty when the input cannot be a code.
   */
  candidates(input: string): string[] {
    const code = normalizeRecoveryCode(input);
    return code === undefined ? [] : this.keys.map((key) => this.hash(key, code));
  }

  private hash({ id, key }: { id: string; key: Buffer }, code: string): string {
    const normalized = normalizeRecoveryCode(code) ?? code;
    return `${VERSION}:${id}:${crypto.createHmac('sha256', key).update(normalized).digest('base64url')}`;
  }
}
