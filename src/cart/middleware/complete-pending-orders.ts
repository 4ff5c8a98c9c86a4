import type { RequestHandler } from 'express';
import type { Logger } from '../../platform/logger';
import type { Cart } from '../cart.service';

/**
 * An order that a crash interrupted between claiming the cart and settling (cart.service.ts) is
 * completed by the shopper's next request once its lease is over (before that it is taken for one
 * still being placed by another request of the shopper), from the User that loadUser already
 * read: without a pending order, no database command at all. A failure here never stops the page:
 * the record stays for the next request or the housekeeping.
 */
export function completePendingOrders(cart: Cart, logger: Logger): RequestHandler {
  return async (req, _res, next) => {
    const user = req.user;
    if (user?.pendingOrders?.length) {
      try {
        const completed = await cart.completePendingOrders(user);
        if (completed > 0) logger.warn({ userId: user._id.toHexString(), completed }, 'completed interrupted orders');
      } catch (error) {
        logger.warn({ err: error, userId: user._id.toHexString() }, 'could not complete an interrupted order yet');
      }
    }
    next();
  };
}
