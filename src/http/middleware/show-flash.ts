import type { RequestHandler } from 'express';
import { FLASH_COOKIE, flashCookieOptions, parseFlash } from '../flash';

/** Moves the flash cookie's messages (http/flash.ts) to `res.locals.flash` for this page, once. */
export const showFlash: RequestHandler = (req, res, next) => {
  const signed: Record<string, unknown> = req.signedCookies ?? {};
  const plain: Record<string, unknown> = req.cookies ?? {};
  if (FLASH_COOKIE in signed || FLASH_COOKIE in plain) {
    const messages = parseFlash(signed[FLASH_COOKIE]);
    if (messages.length > 0) res.locals.flash = messages;
    const { maxAge: _maxAge, signed: _signed, ...clearing } = flashCookieOptions(req);
    res.clearCookie(FLASH_COOKIE, clearing);
  }
  next();
};
