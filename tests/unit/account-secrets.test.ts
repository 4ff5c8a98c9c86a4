import crypto from 'node:crypto';
import { RecoveryCodes, generateRecoveryCode, normalizeRecoveryCode } from '../../src/platform/crypto/recovery-codes';
import { SecretBox, SecretBoxError } from '../../src/platform/crypto/secret-box';
import { keyId, parseSecretKey } from '../../src/platform/crypto/secret-keys';
import { checkTotp, newTotpSecret, totpCode, totpQrCode, totpStep, totpUri } from '../../src/platform/crypto/totp';

const key = crypto.randomBytes(32);
const otherKey = crypto.randomBytes(32);

describe('TOTP_KEY values', () => {
  test('32 bytes as hex or base64 (standard or URL-safe, padded or not) are read', () => {
    for (const text of [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
      key.toString('base64').replace(/=$/, ''),
      key.toString('base64url'),
    ])
      expect(parseSecretKey(text)).toEqual(key);
  });

  test('anything else is refused rather than turned into a weak key', () => {
    for (const text of [
      '',
      'change-me',
      key.toString('hex').slice(2),
      crypto.randomBytes(31).toString('base64'),
      crypto.randomBytes(33).toString('base64'),
      crypto.randomBytes(16).toString('hex'),
      `${key.toString('base64url').slice(0, 42)}B`, // spare bits set: not written from 32 bytes
      `${key.toString('base64')}=`,
    ])
      expect(parseSecretKey(text)).toBeUndefined();
  });
});

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox([key]);

  test('seals to v1:<key id>:<iv>:<tag>:<ciphertext>, never the secret, a new IV each time', () => {
    const secret = newTotpSecret();
    const sealed = box.seal(secret, 'user:1');
    expect(sealed).toMatch(/^v1:[\w-]{8}:[\w-]{16}:[\w-]{22}:[\w-]+$/);
    expect(sealed.split(':')[1]).toBe(keyId(key));
    expect(sealed).not.toContain(secret);
    expect(box.seal(secret, 'user:1')).not.toBe(sealed);
    expect(box.open(sealed, 'user:1')).toBe(secret);
  });

  test('a changed value, another context, a removed key or garbage is refused, never opened', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user:1');
    const [version, id, iv, tag, ciphertext] = sealed.split(':');
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0] ^= 1;
    const refusals = [
      [version, id, iv, tag, flipped.toString('base64url')].join(':'),
      [version, id, iv, Buffer.alloc(16).toString('base64url'), ciphertext].join(':'),
      [version, id, Buffer.alloc(12).toString('base64url'), tag, ciphertext].join(':'),
      ['v2', id, iv, tag, ciphertext].join(':'),
      [version, id, iv, tag].join(':'),
      `${sealed}:extra`,
      'JBSWY3DPEHPK3PXP',
      '',
    ];
    for (const value of refusals) expect(() => box.open(value, 'user:1')).toThrow(SecretBoxError);
    // The same value copied onto another account does not open there.
    expect(() => box.open(sealed, 'user:2')).toThrow(SecretBoxError);
    expect(() => new SecretBox([otherKey]).open(sealed, 'user:1')).toThrow(/not configured/);
  });

  test('rotation: the first key seals, every key opens, isCurrent tells what to seal again', () => {
    const old = box.seal('old secret', 'user:1');
    const rotated = new SecretBox([otherKey, key]);
    expect(rotated.open(old, 'user:1')).toBe('old secret');
    expect(rotated.isCurrent(old)).toBe(false);
    const resealed = rotated.seal(rotated.open(old, 'user:1'), 'user:1');
    expect(rotated.isCurrent(resealed)).toBe(true);
    expect(() => box.open(resealed, 'user:1')).toThrow(SecretBoxError);
  });
});

describe('recovery codes', () => {
  test('ten distinct codes like k7wq-3mzt-9xfa, of 31 unambiguous symbols', () => {
    const { codes, hashes } = new RecoveryCodes([key]).generate();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}$/);
    expect(hashes).toHaveLength(10);
    // Stored as keyed hashes only: no code appears in what is stored.
    for (const hash of hashes) {
      expect(hash).toMatch(/^v1:[\w-]{8}:[\w-]{43}$/);
      for (const code of codes) expect(hash).not.toContain(code.replace(/-/g, ''));
    }
  });

  test('every symbol turns up, none of 0 o 1 l i (a sample of 2,000 codes)', () => {
    const seen = new Set(Array.from({ length: 2000 }, generateRecoveryCode).join('').replace(/-/g, ''));
    expect([...seen].sort().join('')).toBe('23456789abcdefghjkmnpqrstuvwxyz');
  });

  test('as typed: case, spaces and hyphens do not matter; anything else is not a code', () => {
    expect(normalizeRecoveryCode('K7WQ 3MZT 9XFA')).toBe('k7wq3mzt9xfa');
    expect(normalizeRecoveryCode(' k7wq-3mzt-9xfa ')).toBe('k7wq3mzt9xfa');
    expect(normalizeRecoveryCode('k7wq3mzt9xfa')).toBe('k7wq3mzt9xfa');
    expect(normalizeRecoveryCode('k7wq\u20113mzt\u20109xfa')).toBe('k7wq3mzt9xfa');
    for (const input of [
      '',
      'k7wq-3mzt',
      'k7wq-3mzt-9xfa-2',
      'k7wq-3mzt-9xf0',
      'k7wq-3mzt-9xfl',
      '123456',
      'k7wq-3mzt-9xf$',
    ])
      expect(normalizeRecoveryCode(input)).toBeUndefined();
  });

  test('a typed code matches its stored hash, under the old key too after rotation; another does not', () => {
    const codes = new RecoveryCodes([key]);
    const { codes: shown, hashes } = codes.generate();
    expect(codes.candidates(shown[3].toUpperCase().replace(/-/g, ' '))).toEqual([hashes[3]]);
    const rotated = new RecoveryCodes([otherKey, key]);
    expect(rotated.candidates(shown[3])).toContain(hashes[3]);
    expect(rotated.candidates(shown[3])[0]).not.toBe(hashes[3]);
    expect(codes.candidates('abcd-efgh-jkmn')).not.toContain(hashes[3]);
    expect(codes.candidates('not a code')).toEqual([]);
    expect(new RecoveryCodes([otherKey]).candidates(shown[3])).not.toContain(hashes[3]);
  });
});

describe('TOTP (otpauth)', () => {
  // 2026-01-01T00:00:10Z: 10 seconds into a step.
  const now = Date.UTC(2026, 0, 1, 0, 0, 10);
  const secret = newTotpSecret();

  test('a new secret is 160 bits of base32; the otpauth:// address names the shop and the account', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = totpUri(secret, { issuer: 'Session Shop', account: 'ann@example.com' });
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Session Shop:ann@example.com');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      secret,
      issuer: 'Session Shop',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });

  test('the RFC 6238 test vector: SHA-1, T = 59 s', () => {
    // RFC 6238 appendix B: the key "12345678901234567890", 8 digits 94287082; 6 digits are its last six.
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(totpCode(rfcSecret, 59_000)).toBe('287082');
  });

  test('the current code, and those one step around it, are accepted; older and newer ones are not', () => {
    const step = totpStep(now);
    expect(checkTotp(secret, totpCode(secret, now), { nowMs: now })).toBe(step);
    expect(checkTotp(secret, totpCode(secret, now - 30_000), { nowMs: now })).toBe(step - 1);
    expect(checkTotp(secret, totpCode(secret, now + 30_000), { nowMs: now })).toBe(step + 1);
    expect(checkTotp(secret, totpCode(secret, now - 60_000), { nowMs: now })).toBeUndefined();
    expect(checkTotp(secret, totpCode(secret, now + 60_000), { nowMs: now })).toBeUndefined();
  });

  test('a code used once, and every older one, is refused after (lastStep)', () => {
    const code = totpCode(secret, now);
    const used = checkTotp(secret, code, { nowMs: now });
    expect(used).toBeDefined();
    expect(checkTotp(secret, code, { nowMs: now, lastStep: used })).toBeUndefined();
    expect(checkTotp(secret, code, { nowMs: now + 20_000, lastStep: used })).toBeUndefined();
    expect(checkTotp(secret, totpCode(secret, now - 30_000), { nowMs: now, lastStep: used })).toBeUndefined();
    expect(checkTotp(secret, totpCode(secret, now + 30_000), { nowMs: now + 30_000, lastStep: used })).toBe(
      totpStep(now) + 1,
    );
  });

  test('spaces are ignored; anything but six digits is refused', () => {
    const code = totpCode(secret, now);
    expect(checkTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, { nowMs: now })).toBe(totpStep(now));
    for (const input of ['', '12345', '1234567', 'abcdef', `${code}0`, `-${code.slice(1)}`])
      expect(checkTotp(secret, input, { nowMs: now })).toBeUndefined();
  });

  test('the QR code is an SVG image in a data: address, without style or script', async () => {
    const uri = totpUri(secret, { issuer: 'Session Shop', account: 'ann@example.com' });
    const qr = await totpQrCode(uri);
    expect(qr).toMatch(/^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/);
    const svg = Buffer.from(qr.split(',')[1], 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/style|script/i);
  });
});
