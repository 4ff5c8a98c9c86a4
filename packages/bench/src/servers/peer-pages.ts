/**
 * What the bench's two peers, (g) peer-course.ts and (h) peer-passport.ts, do alike: the product
 * list as a tutorial app writes it (a count and a find per view, no cache), the login form, the
 * locals of a logged-in page and the error handler. Both render the shop's own templates, so that
 * their logged-in product list is the shop's page but for its CSRF token.
 */
import type { Express, NextFunction, Request, Response } from 'express';
import { pageCountFor, Product, PRODUCTS_PER_PAGE, unitsIn, type CartItem } from '../shop';
import { productListLocals } from './product-list';

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
  res.render('catalog/product-list', productListLocals(products, page, pageCountFor(totalItems, PRODUCTS_PER_PAGE)));
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
