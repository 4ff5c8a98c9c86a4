import type { NextFunction, Request, RequestHandler, Response } from 'express';
import cookieParser from 'cookie-parser';
import { FLASH_COOKIE, flashCookieOptions, parseFlash } from '../flash';

/**
 * Moves the flash cookie's messages (http/flash.ts) to `res.locals.flash` for this page, once.
 * Cookies are parsed (and signatures checked) only when a flash cookie came: most requests have none.
 */
export function showFlash(secrets: string[]): RequestHandler {
  const parseCookies = cookieParser(secrets);
  return (req: Request, res: Response, next: NextFunction) => {
    // What cookie-parser would set: the key Express signs the flash cookie with (res.cookie).
    req.secret = secrets[0];
    if (!req.headers.cookie?.includes(`${FLASH_COOKIE}=`)) {
      next();
      return;
    }
    parseCookies(req, res, () => {
      const signed: Record<string, unknown> = req.signedCookies ?? {};
      const messages = parseFlash(signed[FLASH_COOKIE]);
      if (messages.length > 0) res.locals.flash = messages;
      const { maxAge: _maxAge, signed: _signed, ...clearing } = flashCookieOptions(req);
      res.clearCookie(FLASH_COOKIE, clearing);
      next();
    });
  };
}
