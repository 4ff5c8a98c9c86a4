import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from './config';
import type { Logger } from './logger';

/** One message: text and HTML bodies of the same content, no tracking of any kind. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A message as the development mailbox keeps it. */
export interface MailboxMessage extends MailMessage {
  id: string;
  from: string;
  /** ISO date. */
  date: string;
}

/** Messages kept in the development mailbox; the oldest go first. */
const MAILBOX_SIZE = 200;

/**
 * Outgoing mail through nodemailer: by SMTP when `SMTP_URL` is set; otherwise, outside production,
 * into the development mailbox (a folder of messages that `/dev/mail` lists, so `npm run dev` shows a
 * reset link without any set-up); in production without `SMTP_URL`, nowhere: mail is off, and
 * every message not sent is logged as such.
 */
export class Mailer {
  readonly kind: 'smtp' | 'mailbox' | 'off';
  private readonly transport?: Transporter;
  private readonly from: string;
  private readonly mailboxDir?: string;
  private readonly logger: Logger;

  constructor(mail: Config['mail'], logger: Logger) {
    this.from = mail.from;
    this.logger = logger.child({ component: 'mail' });
    this.mailboxDir = mail.smtpUrl ? undefined : mail.mailboxDir;
    if (mail.smtpUrl) {
      this.kind = 'smtp';
      this.transport = nodemailer.createTransport(mail.smtpUrl);
    } else if (this.mailboxDir) {
      this.kind = 'mailbox';
      // The raw message (RFC 5322) as it would have gone out, kept beside its parsed fields.
      this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    } else {
      this.kind = 'off';
    }
  }

  /** Sends a message; rejects when the server refuses it or cannot be reached. */
  async send(message: MailMessage): Promise<void> {
    if (!this.transport) {
      this.logger.warn({ subject: message.subject }, 'mail is off (no SMTP_URL): a message was not sent');
      return;
    }
    const info = (await this.transport.sendMail({ from: this.from, ...message })) as { message?: Buffer };
    if (this.kind === 'mailbox' && info.message) this.keep(message, info.message);
  }

  /**
   * Sends in the background: the request that asked for the message answers at once, in the same
   * time whether a message went out or not (nothing to learn from its timing). Failures are logged.
   */
  post(message: MailMessage | Promise<MailMessage>): void {
    Promise.resolve(message)
      .then((built) => this.send(built))
      .catch((error: unknown) => this.logger.error({ err: error }, 'a message could not be sent'));
  }

  /** The development mailbox, newest first. */
  mailbox(): MailboxMessage[] {
    if (!this.mailboxDir || !fs.existsSync(this.mailboxDir)) return [];
    return fs
      .readdirSync(this.mailboxDir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .reverse()
      .flatMap((name) => {
        try {
          return [JSON.parse(fs.readFileSync(path.join(this.mailboxDir!, name), 'utf8')) as MailboxMessage];
        } catch {
          return [];
        }
      });
  }

  private keep(message: MailMessage, raw: Buffer): void {
    const dir = this.mailboxDir!;
    fs.mkdirSync(dir, { recursive: true });
    const date = new Date();
    // Sortable by name: the time first, then something unique.
    const id = `${date.toISOString().replace(/[:.]/g, '-')}-${crypto.randomBytes(4).toString('hex')}`;
    const kept: MailboxMessage = { id, from: this.from, date: date.toISOString(), ...message };
    fs.writeFileSync(path.join(dir, `${id}.eml`), raw);
    fs.writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(kept, null, 2));
    for (const old of fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .slice(0, -MAILBOX_SIZE)) {
      fs.rmSync(path.join(dir, old), { force: true });
      fs.rmSync(path.join(dir, old.replace(/\.json$/, '.eml')), { force: true });
    }
  }
}
