import type { MailMessage } from '../platform/mailer';
import { renderMail } from '../http/mail-views';

/** The messages an account is sent; `publicUrl` is where the links point (never the request's Host). */
export class AccountMail {
  constructor(private readonly publicUrl: string) {}

  resetPassword(to: string, token: string): Promise<MailMessage> {
    return this.message(to, 'Reset your password', 'reset-password', { link: this.link(`/reset/${token}`) });
  }

  confirmEmail(to: string, token: string): Promise<MailMessage> {
    return this.message(to, 'Confirm your email address', 'confirm-email', {
      link: this.link(`/verify-email/${token}`),
    });
  }

  signupAttempt(to: string): Promise<MailMessage> {
    return this.message(to, 'Someone tried to sign up with your address', 'signup-attempt', {
      resetLink: this.link('/reset'),
    });
  }

  confirmNewEmail(to: string, token: string): Promise<MailMessage> {
    return this.message(to, 'Confirm your new email address', 'confirm-new-email', {
      link: this.link(`/verify-email/${token}`),
    });
  }

  emailChangeRequested(to: string, newEmail: string): Promise<MailMessage> {
    return this.message(to, 'Your email address is about to change', 'email-change-requested', {
      newEmail,
      resetLink: this.link('/reset'),
    });
  }

  emailChanged(to: string, newEmail: string): Promise<MailMessage> {
    return this.message(to, 'Your email address has changed', 'email-changed', { newEmail });
  }

  accountDeleted(to: string): Promise<MailMessage> {
    return this.message(to, 'Your account has been deleted', 'account-deleted', {});
  }

  private link(path: string): string {
    return `${this.publicUrl}${path}`;
  }

  private async message(
    to: string,
    subject: string,
    template: string,
    data: Record<string, unknown>,
  ): Promise<MailMessage> {
    return { to, subject, ...(await renderMail(template, { subject, ...data })) };
  }
}
