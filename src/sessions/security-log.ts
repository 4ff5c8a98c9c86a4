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
  /** A password was right for an account with a second factor: its code is asked next. */
  | 'second-factor-required'
  /** A wrong code at the second step; `reason` says when it spent the step. */
  | 'second-factor-failed'
  | 'two-factor-enabled'
  | 'two-factor-disabled'
  | 'recovery-codes-regenerated'
  /** The shopper confirmed who they are for a sensitive change (`method`: password, passkey...). */
  | 'step-up'
  /** A login from a browser and system the account had not logged in from (mailed to its owner). */
  | 'login-new-device'
  | 'passkey-added'
  | 'passkey-removed'
  /** A passkey's signature counter did not move forward: perhaps a copied authenticator; the login was refused. */
  | 'passkey-counter-went-back'
  | 'provider-linked'
  | 'provider-unlinked'
  /** A provider's callback refused (forged or missing state, replayed, declined, no address vouched for): `reason`. */
  | 'provider-sign-in-refused'
  /** An account made from the address an OpenID provider vouched for (no password). */
  | 'provider-account-created'
  // An admin acting for the shop (ADMIN_EMAILS): `userId` is the admin's, `target` what they acted on.
  | 'admin-orders-viewed'
  | 'admin-order-cancelled'
  | 'admin-order-shipped'
  | 'admin-order-delivered'
  | 'admin-product-hidden'
  | 'admin-product-shown';

/** What a security line may say beside its event. */
export interface SecurityEventFields {
  userId?: string;
  reason?: string;
  /** How the shopper proved who they are: password, password+totp, password+recovery-code, passkey, openid... */
  method?: string;
  /** What an admin acted on (an order, a product). */
  target?: string;
}

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

  event(req: Request, event: SecurityEvent, fields: SecurityEventFields = {}): void {
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
