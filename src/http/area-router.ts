import { Router, type RequestHandler } from 'express';
import { mount } from './mount';
import { formBody } from './form-body';
import { FirstSegments } from './first-segments';

/**
 * What proves that a form was sent by one of the shop's own pages (a CSRF check), around the
 * area's guard: `first` runs before anything else of the route (its guard, its limits, its body's
 * reader); `afterGuard` after the guard, for a form whose token can only be read there (a
 * multipart form: its reader, then the check). The sessions area makes them (sessions/middleware/csrf.ts).
 */
export interface FormCheck {
  readonly first: RequestHandler;
  readonly afterGuard: readonly RequestHandler[];
}

export interface AreaOptions {
  /**
   * Who may use the area (`requireLogin`, `loopbackOnly`): it runs on each of its routes (after a
   * form's check) and, in an area with a path of its own, on any other page under that path.
   */
  guard?: RequestHandler;
}

/** The routes of one area, each declared with one line: a page, or a form with its check. */
export interface AreaRoutes {
  /** A page: the area's guard, then `handlers`. */
  get(path: string, ...handlers: RequestHandler[]): void;
  /** A form: its body read (http/form-body.ts), its check, the area's guard, then `handlers`. There is no POST without a check. */
  post(path: string, check: FormCheck, ...handlers: RequestHandler[]): void;
}

/** A route as declared, with its whole path as written in the code (`/admin/edit-product/:productId`). */
export interface DeclaredRoute {
  method: 'GET' | 'POST';
  path: string;
  /** A form's check (POST only). */
  check?: FormCheck;
}

/** What can take an area: the app (or a router). */
export type Parent = Pick<Router, 'use'>;

const declared = new WeakMap<Parent, DeclaredRoute[]>();

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * An area's router, mounted on `parent` at `path` now, through `mount` (the path as written, for
 * the metrics' route labels). Its routes are declared on what this returns; a form cannot be
 * declared without its CSRF check, and every route is recorded (`declaredRoutes`) so that a test
 * can send each form without its token.
 *
 * A request with a body that no route takes (an unknown path) is not the area's: the app's last
 * check refuses it without a token (`FormChecks.unmatched`), wherever it was sent.
 */
export function areaRouter(parent: Parent, path: string, { guard }: AreaOptions = {}): AreaRoutes {
  const router = Router();
  const guards = guard ? [guard] : [];
  // A request that none of a root area's routes can match does not enter its router.
  const firstSegments = path === '/' ? new FirstSegments() : undefined;
  if (firstSegments) parent.use((req, res, next) => (firstSegments.includes(req) ? router(req, res, next) : next()));
  else {
    mount(parent, path, router);
    // A page under the area's path that no route has: the guard answers it, as it would the area's pages.
    if (guard) parent.use(path, (req, res, next) => (SAFE_METHODS.has(req.method) ? guard(req, res, next) : next()));
  }
  const routes = declared.get(parent) ?? [];
  declared.set(parent, routes);
  const whole = (route: string) => (path === '/' ? route : `${path}${route}`);
  return {
    get(route, ...handlers) {
      firstSegments?.add(route);
      router.get(route, ...guards, ...handlers);
      routes.push({ method: 'GET', path: whole(route) });
    },
    post(route, check, ...handlers) {
      firstSegments?.add(route);
      router.post(route, ...formBody, check.first, ...guards, ...check.afterGuard, ...handlers);
      routes.push({ method: 'POST', path: whole(route), check });
    },
  };
}

/** Every route the areas declared on `parent`, in order. */
export function declaredRoutes(parent: Parent): readonly DeclaredRoute[] {
  return declared.get(parent) ?? [];
}
