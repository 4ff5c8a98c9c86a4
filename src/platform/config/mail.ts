import path from 'node:path';
import type { ConfigContext, EnvReader } from './env';
import type { Config } from './types';

/** Where mail goes, whom it is from, and the shop's address for the links in it. */
export function mailSection(
  env: EnvReader,
  { nodeEnv, isProduction, dataDir }: ConfigContext,
  port: number,
): Pick<Config, 'mail' | 'publicUrl'> {
  const smtpUrl = env.text('SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^\s]+$/.test(smtpUrl)) {
    env.problem('SMTP_URL must look like smtp://user:password@host:587 (or smtps:// for TLS from the start)');
  }
  const from = env.text('MAIL_FROM') ?? '"Session Shop" <shop@localhost>';
  if (!/^[^\r\n]*<?[^@\s<>]+@[^@\s<>]+>?$/.test(from)) {
    env.problem(
      `MAIL_FROM must be an address, optionally with a name: "Session Shop" <shop@example.com> (got "${from}")`,
    );
  }
  const rawPublicUrl = env.text('PUBLIC_URL');
  let publicUrl = `http://localhost:${port}`;
  if (rawPublicUrl !== undefined) {
    if (/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(rawPublicUrl)) publicUrl = rawPublicUrl.replace(/\/+$/, '');
    else env.problem(`PUBLIC_URL must be the shop's address, such as https://shop.example.com (got "${rawPublicUrl}")`);
  } else if (isProduction && smtpUrl !== undefined) {
    env.problem('PUBLIC_URL is required when NODE_ENV=production and SMTP_URL is set: the links in mail point there');
  }
  return {
    publicUrl,
    mail: {
      smtpUrl,
      // Development keeps what it would have sent in a mailbox of its own (/dev/mail); tests start an SMTP server.
      mailboxDir: smtpUrl === undefined && nodeEnv === 'development' ? path.join(dataDir, 'mail') : undefined,
      from,
    },
  };
}
