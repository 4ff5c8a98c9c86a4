const BASE = 'http://shop.invalid';
const PLAIN_PATH = /^\/(?![/\\])[\w\-~!$&()*+,;=:@/]*(\?[\w\-~!$&()*+,;=:@/?]+)?$/;

/**
 * The path to go back to after login, only when it stays on this site. "//evil.example",
 * "/\evil.example" and absolute URLs are open redirects in browsers; anything but a plain
 * local path is refused (undefined), and the caller falls back to the home page.
 */
export function localPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined;
  // The common case, a path of letters, digits and the like (no dot, percent sign or backslash, no
  // "//" at its start): what the URL parser below would give back unchanged. Every page of a logged-in
  // shopper asks (its add-to-cart forms' way back).
  if (PLAIN_PATH.test(value)) return value;
  if (!isPlainLocal(value)) return undefined;
  // Control characters are exactly what this looks for: CR/LF would split the Location header.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(value)) return undefined;
  const url = new URL(value, BASE);
  if (url.origin !== BASE) return undefined;
  const path = `${url.pathname}${url.search}`;
  // Normalizing can make a new "//": "/.//evil.example" becomes "//evil.example". Checked again.
  return isPlainLocal(path) ? path : undefined;
}

function isPlainLocal(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\');
}
