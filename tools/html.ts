/**
 * What the scripts and the tests read out of the shop's pages: the one place that knows how the
 * views write a CSRF token, a product link or the logout form.
 */

/** `<input type="hidden" name="_csrf" value="...">`, as every form of the shop carries it. */
const CSRF_FIELD = /name="_csrf" value="([^"]+)"/;

/** The CSRF token of a page with a form, or undefined. */
export function findCsrfToken(html: string): string | undefined {
  return CSRF_FIELD.exec(html)?.[1];
}

/** The CSRF token of a page with a form; throws when it has none. */
export function csrfTokenIn(html: string): string {
  const token = findCsrfToken(html);
  if (token === undefined) throw new Error('no CSRF token on this page');
  return token;
}

/** The ids of the products a page links to, each once, in the page's order. */
export function productIdsIn(html: string): string[] {
  return [...new Set([...html.matchAll(/href="\/products\/([0-9a-f]{24})"/g)].map((match) => match[1]))];
}

/** Whether a page is one of a logged-in shopper: its navigation offers the logout form. */
export function showsLogout(html: string): boolean {
  return html.includes('action="/logout"');
}

/** The page with every CSRF token's value blanked: pages of different sessions, compared. */
export function withoutCsrfTokens(html: string): string {
  return html.replace(new RegExp(CSRF_FIELD.source, 'g'), 'name="_csrf" value=""');
}
