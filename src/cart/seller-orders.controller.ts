import type { Request, Response } from 'express';
import type { Admins } from '../accounts/admins';
import { loggedInUser } from '../accounts/current-user';
import { flash } from '../http/flash';
import { formField } from '../http/form-field';
import { notFound } from '../http/http-error';
import { parseObjectId } from '../http/object-id';
import { pageHref, pagination, requestedPage } from '../http/pagination';
import type { SecurityEvent, SecurityLog } from '../sessions/security-log';
import type { LinesOf, OrderAction, Orders } from './orders.service';
import { PAYMENT_METHOD } from './shipping';
import { SELLER_ORDERS_PATH } from './seller-orders.routes';

export interface SellerOrdersControllerOptions {
  orders: Orders;
  admins: Admins;
  securityLog: SecurityLog;
}

/**
 * The sellers' orders: GET /admin/orders lists the orders holding the seller's products (their
 * lines only), POST /admin/orders/ship and /deliver move the seller's lines on. An admin sees and
 * moves every line, each action a security-log event with the admin's id. An order holding none of
 * the seller's lines is not found (404), whatever it is.
 */
export function createSellerOrdersController({ orders, admins, securityLog }: SellerOrdersControllerOptions) {
  function viewerOf(req: Request): LinesOf {
    const user = loggedInUser(req);
    return admins.isAdmin(user) ? { admin: true } : { sellerId: user._id };
  }

  async function getSellerOrders(req: Request, res: Response): Promise<void> {
    await renderPage(req, res, requestedPage(req.query.page));
  }

  async function renderPage(req: Request, res: Response, page: number, notice?: string): Promise<void> {
    const user = loggedInUser(req);
    const viewer = viewerOf(req);
    // Opening the page puts the navigation's count right, whatever a crash left astray.
    res.locals.toSendCount = await orders.recount(user);
    const { orders: list, pageCount } = await orders.page(viewer, page);
    if (page > pageCount) {
      res.redirect(pageHref(SELLER_ORDERS_PATH, pageCount));
      return;
    }
    if ('admin' in viewer) securityLog.event(req, 'admin-orders-viewed', { userId: user._id.toHexString() });
    const title = 'admin' in viewer ? 'All orders' : 'Orders of your products';
    res.render('cart/seller-orders', {
      pageTitle: page === 1 ? title : `${title}, page ${page}`,
      path: SELLER_ORDERS_PATH,
      orders: list,
      isAdminView: 'admin' in viewer,
      notice,
      paymentMethod: PAYMENT_METHOD,
      pagination: pagination(SELLER_ORDERS_PATH, page, pageCount),
    });
  }

  /** Ship or deliver: the order's id from the form, the viewer's lines, the answer. */
  function moveLines(
    act: (orderId: NonNullable<ReturnType<typeof parseObjectId>>, lines: LinesOf) => Promise<OrderAction>,
    adminEvent: SecurityEvent,
    done: (number: string) => string,
  ) {
    return async (req: Request, res: Response): Promise<void> => {
      const orderId = parseObjectId(formField(req, 'orderId'));
      if (!orderId) throw notFound();
      const viewer = viewerOf(req);
      const outcome = await act(orderId, viewer);
      if (outcome.kind === 'not-found') throw notFound();
      if ('admin' in viewer) {
        securityLog.event(req, adminEvent, {
          userId: loggedInUser(req)._id.toHexString(),
          target: orderId.toHexString(),
        });
      }
      if (outcome.kind === 'refused') {
        // Nothing changed (sent already, cancelled meanwhile...): the page as it is now, saying so.
        const notice = `Order ${outcome.order.number} is ${outcome.order.statusName.toLowerCase()}: nothing of yours was waiting for that.`;
        await renderPage(req, res.status(409), 1, notice);
        return;
      }
      flash(req, res, 'success', done(outcome.order.number));
      res.redirect(SELLER_ORDERS_PATH);
    };
  }

  const postShip = moveLines(
    (orderId, lines) => orders.ship(orderId, lines),
    'admin-order-shipped',
    (number) => `Order ${number}: marked shipped.`,
  );
  const postDeliver = moveLines(
    (orderId, lines) => orders.deliver(orderId, lines),
    'admin-order-delivered',
    (number) => `Order ${number}: marked delivered.`,
  );

  return { getSellerOrders, postShip, postDeliver };
}

export type SellerOrdersController = ReturnType<typeof createSellerOrdersController>;
