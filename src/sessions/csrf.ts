import type { Request } from 'express';
import { csrfSync } from 'csrf-sync';
import { formField } from '../http/form-field';

/**
 * CSRF protection with the synchronizer-token pattern: the token lives in the session, and every
 * POST must send it back in the `_csrf` field or the `x-csrf-token` header (403 otherwise).
 */
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req) => {
    const fromForm = formField(req, '_csrf');
    if (typeof fromForm === 'string') return fromForm;
    const fromHeader = req.headers['x-csrf-token'];
    return typeof fromHeader === 'string' ? fromHeader : undefined;
  },
  // The session is gone after loadUser ended a stale one: no token then, so every POST fails.
  getTokenFromState: (req) => req.session?.csrfToken,
  storeTokenInState: (req, token) => {
    req.session.csrfToken = token;
  },
});

/** The middleware/csrf.ts check of every POST. */
export const verifyCsrfToken = csrfSynchronisedProtection;

/** The session's token, creating it on first use; `replace` starts a new one (after login). */
export function csrfToken(req: Request, replace = false): string {
  return generateToken(req, replace);
}
