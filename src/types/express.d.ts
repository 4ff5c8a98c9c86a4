import type { UserDocument } from '../models/user';

declare global {
  namespace Express {
    interface Request {
      /** The logged-in shopper, re-loaded from the database on every request (src/middleware/load-user.ts). */
      user?: UserDocument;
    }
  }
}
