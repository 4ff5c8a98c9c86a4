import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message as the test SMTP server received it. */
export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * A real SMTP server for the tests (smtp-server, on a free port of 127.0.0.1): the shop sends to it
 * through nodemailer exactly as to a provider, and the tests read what arrived.
 */
export class TestInbox {
  readonly messages: ReceivedMail[] = [];
  private waiters: Array<() => void> = [];

  private readonly server: SMTPServer;
  private port = 0;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream).then(
          (parsed) => {
            const to = parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '';
            this.receive({
              to,
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
  }

  static async start(): Promise<TestInbox> {
    const inbox = new TestInbox();
    await new Promise<void>((resolve) => inbox.server.listen(0, '127.0.0.1', resolve));
    inbox.port = (inbox.server.server.address() as AddressInfo).port;
    return inbox;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The messages sent to `to` so far, oldest first. */
  to(to: string): ReceivedMail[] {
    return this.messages.filter((message) => message.to === to);
  }

  /** The next message to `to` whose subject matches, waiting up to `timeoutMs` (mail goes out in the background). */
  async waitFor(to: string, subject: RegExp, timeoutMs = 5_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.to(to).find((message) => subject.test(message.subject));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no message "${subject.source}" to ${to} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Forgets what arrived (a test that counts messages starts from nothing). */
  clear(): void {
    this.messages.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private receive(message: ReceivedMail): void {
    this.messages.push(message);
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** The path of the shop's link in a message's text, e.g. `/reset/<token>`. */
export function linkPathIn(message: ReceivedMail, prefix: string): string {
  const match = new RegExp(`https?://[^\\s/]+(${prefix}[^\\s]*)`).exec(message.text);
  if (!match) throw new Error(`no link to ${prefix} in "${message.subject}"`);
  return match[1];
}
