import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/**
 * public/ served by express.static, mounted once per folder (/css, /images, ...) and for each file
 * at its top: a page such as /products then never makes the file system look for a file of that
 * name (a stat per request, and an error object when it is missing).
 */
export function staticFiles(folder: string): Router {
  const router = Router();
  const options = { index: false } as const;
  const topFiles: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) router.use(`/${entry.name}`, express.static(path.join(folder, entry.name), options));
    else topFiles.push(`/${entry.name}`);
  }
  if (topFiles.length > 0) router.get(topFiles, express.static(folder, options));
  return router;
}
