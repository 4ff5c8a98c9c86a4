import type { CookieOptions, Request, Response } from 'express';

/** A message shown once on the next page, after a redirect ("Password changed"). */
export interface FlashMessage {
  type: 'success' | 'error' | 'info';
  text: string;
}

/**
 * Flash messages travel in a short-lived signed cookie, not in the session: telling a visitor
 * "your account is ready" or a shopper "added to your cart" writes no session document, and a
 * visitor gets none at all. middleware/show-flash.ts reads and clears it on the next page.
 */
export const FLASH_COOKIE = 'flash';
const MAX_MESSAGES = 5;
const MAX_TEXT = 500;

export function flashCookieOptions(req: Request): CookieOptions {
  // Secure whenever the request came over HTTPS (behind a proxy: with TRUST_PROXY set).
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: req.secure, signed: true, maxAge: 60_000 };
}

export function flash(req: Request, res: Response, type: FlashMessage['type'], text: string): void {
  const pending = [...(res.locals.pendingFlash ?? []), { type, text }].slice(-MAX_MESSAGES);
  res.locals.pendingFlash = pending;
  res.cookie(FLASH_COOKIE, JSON.stringify(pending), flashCookieOptions(req));
}

/** The messages a signed flash cookie holds; anything malformed or unsigned is nothing. */
export function parseFlash(value: unknown): FlashMessage[] {
  if (typeof value !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.slice(0, MAX_MESSAGES).flatMap((message: unknown) => {
    if (typeof message !== 'object' || message === null) return [];
    const { type, text } = message as Record<string, unknown>;
    if ((type !== 'success' && type !== 'error' && type !== 'info') || typeof text !== 'string') return [];
    return [{ type, text: text.slice(0, MAX_TEXT) }];
  });
}
