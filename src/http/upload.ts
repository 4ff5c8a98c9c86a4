import type { Request } from 'express';

/** Why a multipart form's body was refused (middleware/multipart-form.ts), for the form to say. */
export interface UploadRefusal {
  /** 413 for what was too large, 503 for a file there was no room to work on now, 400 for anything else. */
  status: 400 | 413 | 503;
  /** With 503: in how many seconds to send it again (Retry-After). */
  retryAfterSeconds?: number;
  message: string;
  /** `file`: the file was refused, every text field arrived; `form`: the fields may be incomplete. */
  about: 'file' | 'form';
}

/**
 * Whether a request's body is a multipart form: the one test that both the CSRF check (which
 * leaves such a form to its route) and the multipart parser use, so that they never disagree.
 */
export function isMultipart(req: Request): boolean {
  return typeof req.is('multipart') === 'string';
}

/** The bytes of the form's one file, if one was chosen. */
export function uploadedFile(req: Request): Buffer | undefined {
  return req.file?.buffer;
}
