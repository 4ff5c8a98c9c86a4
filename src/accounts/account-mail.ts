import type { MailMessage } from '../platform/mailer';
import { mailMessage } from '../http/mail-views';
import { formatDate } from '../http/view-helpers';

/** A security notice's facts (accounts/security-notices.ts). */
export interface SecurityNotice {
  kind:
    'new-device' | 'password-changed' | 'two-factor-disabled' | 'passkey-added' | 'passkey-removed' | 'provider-linked';
  /** The passkey's name, the provider's label. */
  name?: string;
  when: Date;
  /** "Firefox 128 on Linux". */
  device: string;
  /** The network, shortened: 203.0.113.x. */
  address: string;
}

/** Each notice's subject, and what happened in one sentence. */
const NOTICES: Record<SecurityNotice['kind'], { subject: string; happened: (name?: string) => string }> = {
  'new-device': {
    subject: 'New login to your account',
    happened: () => 'Your account was logged in to from a browser and system it had not been used from before.',
  },
  'password-changed': {
    subject: 'Your password was changed',
    happened: () => 'The password of your account was changed, and every other device logged out.',
  },
  'two-factor-disabled': {
    subject: 'Two-factor authentication was turned off',
    happened: () => 'Two-factor authentication was turned off for your account: a password alone now logs in.',
  },
  'passkey-added': {
    subject: 'A passkey was added to your account',
    happened: (name) =>
      `A passkey${name ? ` ("${name}")` : ''} was added to your account: it can log in without a password.`,
  },
  'passkey-removed': {
    subject: 'A passkey was removed from your account',
    happened: (name) => `A passkey${name ? ` ("${name}")` : ''} was removed from your account.`,
  },
  'provider-linked': {
    subject: 'A sign-in provider was linked to your account',
    happened: (name) =>
      `Your account was linked to ${name ?? 'an OpenID provider'}: logging in there now logs in here.`,
  },
};

/** The messages an account is sent; `publicUrl` is where the links point (never the request's Host). */
export class AccountMail {
  constructor(private readonly publicUrl: string) {}

  resetPassword(to: string, token: string): Promise<MailMessage> {
    return mailMessage(to, 'Reset your password', 'reset-password', { link: this.link(`/reset/${token}`) });
  }

  confirmEmail(to: string, token: string): Promise<MailMessage> {
    return mailMessage(to, 'Confirm your email address', 'confirm-email', {
      link: this.link(`/verify-email/${token}`),
    });
  }

  signupAttempt(to: string): Promise<MailMessage> {
    return mailMessage(to, 'Someone tried to sign up with your address', 'signup-attempt', {
      resetLink: this.link('/reset'),
    });
  }

  confirmNewEmail(to: string, token: string): Promise<MailMessage> {
    return mailMessage(to, 'Confirm your new email address', 'confirm-new-email', {
      link: this.link(`/verify-email/${token}`),
    });
  }

  emailChangeRequested(to: string, newEmail: string): Promise<MailMessage> {
    return mailMessage(to, 'Your email address is about to change', 'email-change-requested', {
      newEmail,
      resetLink: this.link('/reset'),
    });
  }

  emailChanged(to: string, newEmail: string): Promise<MailMessage> {
    return mailMessage(to, 'Your email address has changed', 'email-changed', { newEmail });
  }

  accountDeleted(to: string): Promise<MailMessage> {
    return mailMessage(to, 'Your account has been deleted', 'account-deleted', {});
  }

  securityNotice(to: string, notice: SecurityNotice): Promise<MailMessage> {
    const { subject, happened } = NOTICES[notice.kind];
    return mailMessage(to, subject, 'security-notice', {
      happened: happened(notice.name),
      when: formatDate(notice.when),
      device: notice.device,
      address: notice.address,
      resetLink: this.link('/reset'),
      accountLink: this.link('/account'),
    });
  }

  private link(path: string): string {
    return `${this.publicUrl}${path}`;
  }
}
