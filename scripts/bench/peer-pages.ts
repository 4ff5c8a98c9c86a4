/**
 * What the bench's two peers, (g) scripts/bench/peer-course-server.ts and (h)
 * scripts/bench/peer-passport-server.ts, do alike: their command line, the product list as a
 * tutorial app writes it (a count and a find per view, no cache), the login form, and listening.
 * Both render the shop's own templates through the shop's own view engine and helpers, so that
 * their logged-in product list is the shop's page but for its CSRF token.
 */
import { parseArgs } from 'node:util';
import type { Express, NextFunction, Request, Response } from 'express';
import mongoose from 'mongoose';
import { usePageDefaults } from '../../src/app';
import { unitsIn } from '../../src/cart/cart.service';
import type { CartItem } from '../../src/cart/cart.model';
import { productListLocals } from './product-list-page';
import { useViews } from '../../src/http/view-engine';
import { PRODUCTS_PER_PAGE } from '../../src/catalog/catalog.service';
import { Product } from '../../src/catalog/product.model';

export interface PeerArgs {
  port: number;
  uri: string;
  /** The cookie signing secret, from SESSION_SECRET in the environment. */
  secret: string;
}

/** `--port P --uri URI`, SESSION_SECRET in the environment; exits with a usage line otherwise. */
export function peerArgs(file: string): PeerArgs {
  const { values } = parseArgs({ options: { port: { type: 'string' }, uri: { type: 'string' } } });
  const secret = process.env.SESSION_SECRET;
  if (!values.port || !values.uri || !secret) {
    console.error(`usage: SESSION_SECRET=... ${file} --port P --uri URI`);
    process.exit(2);
  }
  return { port: Number(values.port), uri: values.uri, secret };
}

/** The shop's views, view cache on (the peers run in production mode), and its defaults for every page. */
export function usePeerViews(app: Express): void {
  useViews(app, { cache: true });
  app.disable('x-powered-by');
  usePageDefaults(app);
}

/** What the shop's cart locals give a logged-in page: the count for the navigation, the way back. */
export function shopperPageLocals(req: Request, user: { cart: { items: CartItem[] } }) {
  return { cartCount: unitsIn(user.cart.items), cartReturnTo: req.originalUrl };
}

/**
 * GET /products as the course writes it: `countDocuments()`, then `find().skip().limit()` of full
 * mongoose documents, on every view. The one change is the sort, newest first like the shop's page
 * (the course leaves the order to the database): without it page 1 would show other products.
 */
export async function productList(req: Request, res: Response): Promise<void> {
  const page = Number(req.query.page) || 1;
  const totalItems = await Product.find().countDocuments();
  const products = await Product.find()
    .sort({ _id: -1 })
    .skip((page - 1) * PRODUCTS_PER_PAGE)
    .limit(PRODUCTS_PER_PAGE);
  res.render('catalog/product-list', productListLocals(products, page, totalItems));
}

/** The shop's login form, carrying the session's CSRF token. */
export function loginPage(res: Response, csrfToken: string): void {
  res.render('accounts/login', {
    pageTitle: 'Log in',
    path: '/login',
    email: '',
    errors: {},
    message: undefined,
    visitorCsrfToken: csrfToken,
  });
}

/** Last: an error is printed (the bench shows a peer's output when it fails) and answered with a 500. */
export function useErrorPrinter(app: Express): void {
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    console.error(error);
    res.status(500).send('Internal Server Error');
  });
}

/** Listens on 127.0.0.1; SIGTERM closes the server, then `close` (the peer's own clients), then exits. */
export function listen(app: Express, name: string, port: number, close: () => Promise<unknown>): void {
  const server = app.listen(port, '127.0.0.1', () => {
    console.log(`${name} listening on http://127.0.0.1:${port}/products`);
  });
  process.once('SIGTERM', () => {
    server.close(() => {
      void Promise.allSettled([close(), mongoose.disconnect()]).finally(() => process.exit(0));
    });
    server.closeAllConnections();
  });
}
