import type { Request } from 'express';

/*
 * express-session's regenerate/save/destroy take callbacks and return nothing to await.
 * These wrappers let controllers write `await saveSession(req); res.redirect(...)`: the
 * redirect then leaves only after the store has written (and a failed write becomes an
 * error for the error handler instead of a redirect).
 */

/** A new session id with empty data; the old session is destroyed in the store. */
export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((error: unknown) => (error ? reject(toError(error)) : resolve()));
  });
}

/**
 * Saves the session, or rejects; a session that could not be saved is dropped from the request, so
 * that express-session does not try again as the error page goes out (a second failure would
 * arrive after the page began and cut it off).
 */
export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.save((error: unknown) => {
      if (!error) resolve();
      else req.session.destroy(() => reject(toError(error)));
    });
  });
}

/** Deletes the session from the store; `req.session` is unset afterwards. */
export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.destroy((error: unknown) => (error ? reject(toError(error)) : resolve()));
  });
}

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
