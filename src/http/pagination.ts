import { notFound } from './http-error';

/** One link in a page list; `href` for page 1 is the bare path, so each page has one address. */
export interface PageLink {
  page: number;
  href: string;
  current: boolean;
}

export interface Pagination {
  page: number;
  pageCount: number;
  previousHref?: string;
  nextHref?: string;
  /** The first and last pages and those near the current one; `null` marks skipped pages. */
  links: Array<PageLink | null>;
}

/** Pages linked on each side of the current one; the rest collapse into a gap. */
const NEARBY_PAGES = 2;

/**
 * The page number a `?page=` asks for: none is page 1. Anything but a whole number of 1 or more
 * (`abc`, `0`, `-1`, `1.5`, a repeated key) names a page that cannot exist: 404, like an unknown
 * product. A number past the last page is returned as it is: the caller sends it to the last page.
 */
export function requestedPage(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) throw notFound();
  const page = Number(value);
  if (page < 1) throw notFound();
  return page;
}

/** An empty list still has one page, where its empty state is shown. */
export function pageCountFor(totalItems: number, pageSize: number): number {
  return Math.max(1, Math.ceil(totalItems / pageSize));
}

/**
 * The address of a page of a list: `params` (a search, a sort) kept in every link, `page` last and
 * only from page 2 on.
 */
export function pageHref(basePath: string, page: number, params: Record<string, string> = {}): string {
  const search = new URLSearchParams(params);
  if (page !== 1) search.set('page', String(page));
  const query = search.toString();
  return query === '' ? basePath : `${basePath}?${query}`;
}

export function pagination(
  basePath: string,
  page: number,
  pageCount: number,
  params: Record<string, string> = {},
): Pagination {
  const link = (n: number): PageLink => ({ page: n, href: pageHref(basePath, n, params), current: n === page });
  // Only a handful of numbers, however many pages there are.
  const shown = new Set([1, pageCount]);
  for (let n = Math.max(1, page - NEARBY_PAGES); n <= Math.min(pageCount, page + NEARBY_PAGES); n++) shown.add(n);
  const links: Array<PageLink | null> = [];
  let previous = 0;
  for (const n of [...shown].sort((a, b) => a - b)) {
    // A gap of one page shows that page: "…" would take as much room.
    if (n === previous + 2) links.push(link(n - 1));
    else if (n > previous + 2) links.push(null);
    links.push(link(n));
    previous = n;
  }
  return {
    page,
    pageCount,
    previousHref: page > 1 ? pageHref(basePath, page - 1, params) : undefined,
    nextHref: page < pageCount ? pageHref(basePath, page + 1, params) : undefined,
    links,
  };
}
