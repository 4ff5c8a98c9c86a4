import ejs from 'ejs';
import type { MailMessage } from '../platform/mailer';
import { VIEWS_DIR } from './view-engine';
import { SHOP_NAME } from './view-helpers';

/** A message's two bodies, from `views/mail/<name>.text.ejs` and `views/mail/<name>.html.ejs`. */
export async function renderMail(name: string, data: Record<string, unknown>): Promise<{ text: string; html: string }> {
  const locals = { shopName: SHOP_NAME, ...data };
  const options = { root: VIEWS_DIR, cache: true };
  const [text, html] = await Promise.all([
    // A text body is not HTML: `<%= %>` writes values as they are there.
    ejs.renderFile(`${VIEWS_DIR}/mail/${name}.text.ejs`, locals, { ...options, escape: String }),
    ejs.renderFile(`${VIEWS_DIR}/mail/${name}.html.ejs`, locals, options),
  ]);
  return { text: text.trim() + '\n', html };
}

/** A message to `to`: its subject, and its bodies from the `template` pair (the subject is theirs too). */
export async function mailMessage(
  to: string,
  subject: string,
  template: string,
  data: Record<string, unknown>,
): Promise<MailMessage> {
  return { to, subject, ...(await renderMail(template, { subject, ...data })) };
}
