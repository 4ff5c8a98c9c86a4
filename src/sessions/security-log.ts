import type { Request } from 'express';
import type { Logger } from '../platform/logger';
import { SessionReferences } from './session-references';

export type SecurityEvent =
  | 'login'
  | 'login-failed'
  | 'logout'
  | 'logout-everywhere'
  | 'password-changed'
  | 'password-reset'
  | 'password-reset-requested'
  | 'email-confirmed'
  | 'email-change-requested'
  | 'session-ended'
  | 'account-deleted'
  | 'session-refused'
  // An admin acting for the shop (ADMIN_EMAILS): `userId` is the admin's, `target` what they acted on.
  | 'admin-orders-viewed'
  | 'admin-order-cancelled'
  | 'admin-order-shipped'
  | 'admin-order-delivered'
  | 'admin-product-hidden'
  | 'admin-product-shown';

/**
 * Security events on a logger of their own (`log: "security"` on every line): who, from where,
 * which session. A session id is as good as the shopper's login, so it is never logged; a keyed
 * hash of it (HMAC under a key derived from the session secret) lets the lines of one session be
 * followed across processes without revealing it.
 */
export class SecurityLog {
  private readonly logger: Logger;
  private readonly references: SessionReferences;

  constructor(logger: Logger, secret: string) {
    this.logger = logger.child({ log: 'security' });
    this.references = new SessionReferences(secret, 'security-log');
  }

  event(req: Request, event: SecurityEvent, fields: { userId?: string; reason?: string; target?: string } = {}): void {
    this.logger.info(
      { event, ...fields, address: req.ip, session: req.sessionID ? this.sessionHash(req.sessionID) : undefined },
      `security: ${event}`,
    );
  }

  /** 16 hex digits of the keyed hash: enough to tell sessions apart, nothing to replay. */
  sessionHash(sessionId: string): string {
    return this.references.of(sessionId, 16);
  }
}
