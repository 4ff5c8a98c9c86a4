import crypto from 'node:crypto';
import { deriveKey, keyId } from './secret-keys';

/** The format's version: a later one (another cipher, say) is told apart by its first field. */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor(reason: string) {
    super(`sealed secret: ${reason}`);
    this.name = 'SecretBoxError';
  }
}

interface BoxKey {
  id: string;
  key: Buffer;
}

/**
 * Short secrets (a TOTP secret) encrypted for the database with AES-256-GCM under a key from the
 * configuration (`TOTP_KEY`): `v1:<key id>:<iv>:<tag>:<ciphertext>`, each part base64url. The
 * first key seals, every key opens (rotation: put the new key first, re-seal what `isCurrent`
 * refuses, then drop the old one). A `context` (such as the account's id) is bound to the value as
 * GCM's associated data: a sealed secret copied onto another account does not open there.
 */
export class SecretBox {
  private readonly keys: BoxKey[];

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    this.keys = keys.map((key) => ({ id: keyId(key), key: deriveKey(key, 'secret box v1') }));
  }

  seal(plaintext: string, context: string): string {
    const { id, key } = this.keys[0];
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
    return [VERSION, id, ...parts].join(':');
  }

  /** The secret, or a SecretBoxError when the value is malformed, sealed by an unknown key, changed or for another context. */
  open(sealed: string, context: string): string {
    const [version, id, iv, tag, ciphertext, ...rest] = sealed.split(':');
    if (version !== VERSION || rest.length > 0 || ciphertext === undefined) throw new SecretBoxError('not a v1 value');
    const box = this.keys.find((candidate) => candidate.id === id);
    if (box === undefined) throw new SecretBoxError(`sealed by key ${id}, which is not configured`);
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new SecretBoxError('malformed');
    const decipher = crypto.createDecipheriv('aes-256-gcm', box.key, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tagBytes);
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('changed, or sealed for another context');
    }
  }

  /** Whether the value was sealed by the current (first) key: if not, open it and seal it again. */
  isCurrent(sealed: string): boolean {
    return sealed.split(':')[1] === this.keys[0].id;
  }
}
