import type { Express } from 'express';
import { useViews } from './http/view-engine';
import { catalogViewHelpers } from './catalog/product-picture';

/**
 * What a local has when no middleware set it for the request: a visitor's page, an error page, or
 * a page rendered by a server that has none of the shop's middleware (the bench's).
 */
const PAGE_DEFAULTS = {
  isAuthenticated: false,
  currentUser: undefined,
  csrfToken: '',
  visitorCsrfToken: '',
  flash: [],
  cartCount: 0,
  cartReturnTo: '',
  toSendCount: 0,
  isAdmin: false,
};

/** The shop's pages: the views of views/ with every area's helpers, and the defaults every page relies on. */
export function useShopViews(app: Express, { cache }: { cache: boolean }): void {
  useViews(app, { cache });
  Object.assign(app.locals, catalogViewHelpers, PAGE_DEFAULTS);
}
