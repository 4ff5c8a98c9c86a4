import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type RequestHandler, type Response } from 'express';
import { isFingerprinted } from '../assets';
import { FirstSegments } from '../first-segments';

/** A file asked for with its fingerprint never changes at that address; without it, an hour. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const SHORT = 'public, max-age=3600';

/**
 * public/ served by express.static, mounted once per folder (/css, /images, ...) and for each file
 * at its top: a page such as /products then never makes the file system look for a file of that
 * name (a stat per request, and an error object when it is missing), nor walks those mounts.
 */
export function staticFiles(folder: string): RequestHandler {
  const router = Router();
  const served = new FirstSegments();
  const options = {
    index: false,
    setHeaders(res: Response, file: string) {
      const name = `/${path.relative(folder, file).split(path.sep).join('/')}`;
      res.setHeader('Cache-Control', isFingerprinted(name, res.req.query.v) ? IMMUTABLE : SHORT);
    },
  };
  const topFiles: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    served.add(`/${entry.name}`);
    if (entry.isDirectory()) router.use(`/${entry.name}`, express.static(path.join(folder, entry.name), options));
    else topFiles.push(`/${entry.name}`);
  }
  if (topFiles.length > 0) router.get(topFiles, express.static(folder, options));
  return (req, res, next) => (served.includes(req) ? router(req, res, next) : next());
}
