import type { Request } from 'express';

/**
 * The first segments of the paths a router answers (`products` for `/products/:id`), to send a
 * request it cannot answer past it without entering it: a router at the site's root is otherwise
 * walked, layer by layer, by every request of the shop (docs/performance.md). Letter case is
 * ignored, as Express's routing ignores it. A path whose first segment is a parameter or a pattern
 * makes it answer everything.
 */
export class FirstSegments {
  private readonly segments = new Set<string>();
  private everything = false;

  add(path: string): void {
    const first = path.split('/')[1] ?? '';
    // '' is the site's root page ('/'), a segment like any other.
    if (/[:*{}()[\]\\?+]/.test(first)) this.everything = true;
    else this.segments.add(first.toLowerCase());
  }

  includes(req: Request): boolean {
    if (this.everything) return true;
    const path = req.path;
    const end = path.indexOf('/', 1);
    return this.segments.has((end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase());
  }
}
