import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';

/**
 * The browser half of the passkey ceremonies (@simplewebauthn/browser), served as ES modules from
 * its package's `esm/` folder, straight from node_modules: no bundler, no copy to keep in step with
 * the lockfile, and same-origin, so the CSP's `script-src 'self'` allows it. It is a production
 * dependency, so the image has it too.
 *
 * The version is in the address: browsers keep the files a year, and an upgrade changes the
 * address. A page's own module (public/js/...) learns it from the page, e.g.
 * `<form data-webauthn-browser="<%= webauthnBrowserUrl %>">`, then
 * `const { startRegistration } = await import(form.dataset.webauthnBrowser)`.
 */
const PACKAGE_DIR = path.dirname(path.dirname(require.resolve('@simplewebauthn/browser')));
const MODULES_DIR = path.join(PACKAGE_DIR, 'esm');

function packageVersion(): string {
  const meta: unknown = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'));
  if (typeof meta === 'object' && meta !== null && 'version' in meta && typeof meta.version === 'string') {
    return meta.version;
  }
  throw new Error(`@simplewebauthn/browser: no version in ${PACKAGE_DIR}/package.json`);
}

export const WEBAUTHN_BROWSER_PATH = `/vendor/simplewebauthn-browser/${packageVersion()}`;
/** `startRegistration`, `startAuthentication`, `browserSupportsWebAuthn`... */
export const WEBAUTHN_BROWSER_URL = `${WEBAUTHN_BROWSER_PATH}/index.js`;

/**
 * Serves WEBAUTHN_BROWSER_PATH: its .js files only (not its type declarations or package.json).
 * Any other request passes by without entering its router (every page would otherwise walk it).
 */
export function webauthnBrowserModules(): RequestHandler {
  const router = Router();
  const prefix = `${WEBAUTHN_BROWSER_PATH.toLowerCase()}/`;
  const files = express.static(MODULES_DIR, { index: false, immutable: true, maxAge: '365d', redirect: false });
  router.use(WEBAUTHN_BROWSER_PATH, (req, res, next) => {
    if (req.path.endsWith('.js')) files(req, res, next);
    else next();
  });
  return (req, res, next) => (req.path.toLowerCase().startsWith(prefix) ? router(req, res, next) : next());
}
