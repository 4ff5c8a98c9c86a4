import type { UserDocument } from '../accounts/user.schema';
import type { FlashMessage } from '../http/flash';
import type { UploadRefusal } from '../http/upload';

declare global {
  namespace Express {
    interface Request {
      /** The logged-in shopper, re-loaded from the database on every request (src/accounts/middleware/load-user.ts). */
      user?: UserDocument;
      /** The request's id in the log and on the 500 page (src/http/middleware/request-logger.ts). */
      id?: string;
      /** A multipart form's body that was refused (too large, malformed): the form says why. */
      uploadRefusal?: UploadRefusal;
    }
    /** What middleware leaves for the views (defaults in app.locals, src/shop-views.ts). */
    interface Locals {
      isAuthenticated?: boolean;
      currentUser?: string;
      /** The session's CSRF token, for a logged-in shopper's forms. */
      csrfToken?: string;
      /** The double-submit CSRF token of a visitor's form (login, signup). */
      visitorCsrfToken?: string;
      /** Messages from the previous request, shown on this page. */
      flash?: FlashMessage[];
      /** Messages set during this request, for the next page. */
      pendingFlash?: FlashMessage[];
      /** Units in the logged-in shopper's cart, from the User already loaded (src/cart/middleware/cart-locals.ts). */
      cartCount?: number;
      /** This page's path, where add-to-cart forms send the shopper back to. */
      cartReturnTo?: string;
    }
  }
}
