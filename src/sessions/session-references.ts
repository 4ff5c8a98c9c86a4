import crypto from 'node:crypto';

/**
 * Names for sessions that are not their ids: a keyed hash (HMAC-SHA256 under a key derived from the
 * session secret). The id is as good as the shopper's login; what names a session in a form ("end
 * this device") or a log line must not be. One key for all processes, so a name is the same
 * wherever it is made, and tells nothing without the secret.
 */
export class SessionReferences {
  private readonly key: Buffer;

  constructor(secret: string, purpose: string) {
    this.key = crypto.createHash('sha256').update(`${purpose}:${secret}`).digest();
  }

  /** `length` hex digits of the keyed hash of `sessionId`. */
  of(sessionId: string, length = 32): string {
    return crypto.createHmac('sha256', this.key).update(sessionId).digest('hex').slice(0, length);
  }
}
