import type { Request } from 'express';
import type { Clock } from '../platform/clock';
import type { Mailer } from '../platform/mailer';
import type { SecurityEvent, SecurityLog } from '../sessions/security-log';
import { AccountMail, type SecurityNotice } from './account-mail';
import { describeUserAgent, shortAddress } from './devices';
import type { UserDocument } from './user.schema';

/** What the shopper is told of by mail (and what the security log records); each has its words in account-mail.ts. */
export type SecurityNoticeKind = SecurityNotice['kind'];

const EVENT_OF: Record<SecurityNoticeKind, SecurityEvent> = {
  'new-device': 'login-new-device',
  'password-changed': 'password-changed',
  'two-factor-disabled': 'two-factor-disabled',
  'passkey-added': 'passkey-added',
  'passkey-removed': 'passkey-removed',
  'provider-linked': 'provider-linked',
};

/** The details a notice may name: the passkey's name, the provider's label. */
export interface NoticeDetails {
  name?: string;
  /** The security event logged, when it is not the kind's own (a password reset is `password-reset`). */
  event?: SecurityEvent;
}

/**
 * Security mail: a change to how an account is protected, or a login from a device it had not
 * used, is mailed to the account's address (in the background, through the mail layer) with
 * when, from which browser and network, and what to do if it was not the shopper; and each is a
 * security-log event. Every such change calls `notify` once it is done.
 */
export class SecurityNotices {
  private readonly mail: AccountMail;

  constructor(
    private readonly options: {
      mailer: Pick<Mailer, 'post'>;
      publicUrl: string;
      securityLog: SecurityLog;
      now: Clock;
    },
  ) {
    this.mail = new AccountMail(options.publicUrl);
  }

  notify(
    req: Request,
    user: Pick<UserDocument, '_id' | 'email'>,
    kind: SecurityNoticeKind,
    details: NoticeDetails = {},
  ): void {
    this.options.securityLog.event(req, details.event ?? EVENT_OF[kind], { userId: user._id.toHexString() });
    this.options.mailer.post(
      this.mail.securityNotice(user.email, {
        kind,
        name: details.name,
        when: new Date(this.options.now()),
        device: describeUserAgent(req.get('user-agent')),
        address: shortAddress(req.ip),
      }),
    );
  }
}
