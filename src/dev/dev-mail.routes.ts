import { Router, type Request, type Response } from 'express';
import type { Mailer } from '../platform/mailer';
import { notFound } from '../http/http-error';
import { loopbackOnly } from '../http/middleware/loopback-only';

/**
 * The development mailbox: what the shop would have mailed, newest first, each message with its
 * text and the links in it, so that a reset or a confirmation can be followed without a mail
 * server. Mounted only outside production, when no SMTP_URL is set, and answers only this machine:
 * with `HOST=0.0.0.0` the LAN could otherwise read any shopper's reset link here.
 */
export function devMailRoutes(mailer: Pick<Mailer, 'mailbox'>): Router {
  const router = Router();
  router.use(loopbackOnly);
  router.get('/', (_req: Request, res: Response) => {
    res.render('dev/mailbox', { pageTitle: 'Development mailbox', path: '', messages: mailer.mailbox() });
  });
  router.get('/:id', (req: Request, res: Response) => {
    const message = mailer.mailbox().find((candidate) => candidate.id === req.params.id);
    if (!message) throw notFound();
    const links = [...new Set(message.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
    res.render('dev/message', { pageTitle: message.subject, path: '', message, links });
  });
  return router;
}
