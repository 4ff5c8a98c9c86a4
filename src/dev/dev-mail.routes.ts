import type { Request, Response } from 'express';
import type { Mailer } from '../platform/mailer';
import { areaRouter, type Parent } from '../http/area-router';
import { notFound } from '../http/http-error';
import { loopbackOnly } from '../http/middleware/loopback-only';

export const DEV_MAIL_PATH = '/dev/mail';

/**
 * The development mailbox, at /dev/mail: what the shop would have mailed, newest first, each
 * message with its text and the links in it, so that a reset or a confirmation can be followed
 * without a mail server. Mounted only outside production, when no SMTP_URL is set (app.ts), and
 * answers only this machine: with `HOST=0.0.0.0` the LAN could otherwise read any shopper's reset
 * link here.
 */
export function devMailRoutes(app: Parent, { mailer }: { mailer: Pick<Mailer, 'mailbox'> }): void {
  const routes = areaRouter(app, DEV_MAIL_PATH, { guard: loopbackOnly });
  routes.get('/', (_req: Request, res: Response) => {
    res.render('dev/mailbox', { pageTitle: 'Development mailbox', path: '', messages: mailer.mailbox() });
  });
  routes.get('/:id', (req: Request, res: Response) => {
    const message = mailer.mailbox().find((candidate) => candidate.id === req.params.id);
    if (!message) throw notFound();
    const links = [...new Set(message.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
    res.render('dev/message', { pageTitle: message.subject, path: '', message, links });
  });
}
