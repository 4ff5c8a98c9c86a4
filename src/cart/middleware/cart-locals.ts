import type { RequestHandler } from 'express';
import { localPath } from '../../http/local-path';
import { unitsIn } from '../cart.service';

/**
 * For a logged-in shopper's pages: the units in their cart and, as a seller, the orders they have
 * to send, for the navigation, counted from the User that loadUser already has (no read of its
 * own), and the page's own path, which add-to-cart forms carry so that the shopper comes back to
 * where they were.
 */
export const provideCartLocals: RequestHandler = (req, res, next) => {
  const user = req.user;
  if (user) {
    res.locals.cartCount = unitsIn(user.cart.items);
    res.locals.toSendCount = user.ordersToSend?.length ?? 0;
    if (req.method === 'GET') res.locals.cartReturnTo = localPath(req.originalUrl) ?? '';
  }
  next();
};
