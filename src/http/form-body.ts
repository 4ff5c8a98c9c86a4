import express, { type RequestHandler } from 'express';

/** The shop's forms are small; a bigger body is refused (413) before it is read. */
const BODY_LIMIT = '10kb';

/**
 * The readers of a form's body, urlencoded (no nested objects: `extended: false`) or JSON, put
 * before each POST route (http/area-router.ts) and the app's last check of an unmatched POST, not
 * in front of every request: a page has no body to read. A multipart form is neither: it is read
 * only by the route that takes one, after its login check.
 */
export const formBody: readonly RequestHandler[] = [
  express.urlencoded({ extended: false, limit: BODY_LIMIT }),
  express.json({ limit: BODY_LIMIT }),
];
