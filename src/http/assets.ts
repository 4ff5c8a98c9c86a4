import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The shop's static files: stylesheets, scripts, images. */
export const PUBLIC_DIR = path.join(__dirname, '..', '..', 'public');

function filesIn(folder: string, prefix = ''): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const name = `${prefix}/${entry.name}`;
    return entry.isDirectory() ? filesIn(path.join(folder, entry.name), name) : [name];
  });
}

/** Each file's fingerprint (the start of its content's SHA-256), read once at start-up. */
const FINGERPRINTS = new Map(
  filesIn(PUBLIC_DIR).map((file) => [
    file,
    crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(PUBLIC_DIR, file)))
      .digest('hex')
      .slice(0, 12),
  ]),
);

/**
 * The address of a static file with its fingerprint (`/css/main.css?v=1a2b3c4d5e6f`): the address
 * changes when the file does, so browsers may keep it for a year (middleware/static-files.ts).
 */
export function assetUrl(file: string): string {
  const fingerprint = FINGERPRINTS.get(file);
  return fingerprint ? `${file}?v=${fingerprint}` : file;
}

/** Whether a request names a static file with its current fingerprint. */
export function isFingerprinted(file: string, version: unknown): boolean {
  return typeof version === 'string' && FINGERPRINTS.get(file) === version;
}
