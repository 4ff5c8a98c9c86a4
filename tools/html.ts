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

/**
 * The cart page's lines whose product has fewer units than the line holds (the page marks them
 * "Only N left" or "Out of stock"): each line's product id and quantity.
 */
export function shortCartLines(html: string): Array<{ productId: string; quantity: number }> {
  const lines: Array<{ productId: string; quantity: number }> = [];
  for (const [row] of html.matchAll(/<tr class="cart__line">[\s\S]*?<\/tr>/g)) {
    if (!row.includes('cart__stock')) continue;
    const field = /id="quantity-([0-9a-f]{24})"[^>]*?value="(\d+)"/.exec(row);
    if (field) lines.push({ productId: field[1], quantity: Number(field[2]) });
  }
  return lines;
}

/** The seller's own products on GET /admin/products: each one's id by its title (as the page writes it, HTML-escaped). */
export function ownProductsIn(html: string): Map<string, string> {
  const products = new Map<string, string>();
  for (const [, title, id] of html.matchAll(
    /<h2 class="card__title">([^<]*)<\/h2>[\s\S]*?href="\/admin\/edit-product\/([0-9a-f]{24})"/g,
  )) {
    products.set(title, id);
  }
  return products;
}
