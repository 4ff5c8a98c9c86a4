import type { UserDocument } from '../accounts/user.model';

declare global {
  namespace Express {
    interface Request {
      /** The logged-in shopper, re-loaded from the database on every request (src/accounts/load-user.ts). */
      user?: UserDocument;
    }
  }
}
