import type { Request } from 'express';

/** A message shown once on the next page, after a redirect ("Password changed"). */
export interface FlashMessage {
  type: 'success' | 'error' | 'info';
  text: string;
}

/**
 * Keeps a message in the session for the next page (middleware/show-flash.ts shows it). Only
 * the request that shows it writes the session again: pages without a message leave it unchanged.
 */
export function flash(req: Request, type: FlashMessage['type'], text: string): void {
  req.session.flash = [...(req.session.flash ?? []), { type, text }];
}
