import type { Request, RequestHandler, Router } from 'express';

/** The mount path, as written in the code, of the router each request is in (absent: the app itself). */
const mountPaths = new WeakMap<Request, string>();

/**
 * `parent.use(path, router)`, remembering `path` as written here for the requests inside the
 * router: `req.baseUrl` is the part of the URL that matched, in the client's letter case (routing
 * ignores case), so it cannot name the route in a label or a log (see `mountPathOf`).
 */
export function mount(parent: Pick<Router, 'use'>, path: string, router: RequestHandler): void {
  parent.use(path, (req, res, next) => {
    const outer = mountPaths.get(req);
    mountPaths.set(req, `${outer ?? ''}${path}`);
    router(req, res, (error?: unknown) => {
      // Leaving the router (no route matched, or one passed an error on): as Express restores baseUrl.
      if (outer === undefined) mountPaths.delete(req);
      else mountPaths.set(req, outer);
      next(error);
    });
  });
}

/** Where the request's current router was mounted, as the code wrote it: '' outside a `mount`ed router. */
export function mountPathOf(req: Request): string {
  return mountPaths.get(req) ?? '';
}
