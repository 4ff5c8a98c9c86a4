import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { parseObjectId } from '../http/object-id';
import { formField, typedText } from '../http/form-field';
import { notFound } from '../http/http-error';
import { flash } from '../http/flash';
import { localPath } from '../http/local-path';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { loggedInUser } from '../accounts/current-user';
import type { Admins } from '../accounts/admins';
import type { SecurityLog } from '../sessions/security-log';
import { MAX_LINE_QUANTITY, type ShippingAddress } from './cart.model';
import { savedAddress, type Cart, type CartView, type ShortLine } from './cart.service';
import type { Orders } from './orders.service';
import { ADDRESS_FIELDS, hasAddressFields, parseQuantity, validAddress } from './cart.forms';
import { DELIVERY_COUNTRIES, PAYMENT_METHOD } from './shipping';
import { CART_PATH, ORDERS_PATH, orderConfirmationPath } from './cart.routes';

export interface CartControllerOptions {
  cart: Cart;
  /** Cancelling an order. */
  orders: Orders;
  /** An admin may cancel any placed order (ADMIN_EMAILS). */
  admins: Admins;
  securityLog: SecurityLog;
}

/** A problem with one line of the cart, shown on the re-rendered cart page. */
interface LineProblem {
  productId: string;
  message: string;
  /** What was typed in the quantity field, shown back. */
  typed: string;
}

type AddressForm = Record<(typeof ADDRESS_FIELDS)[number], string>;

const EMPTY_ADDRESS: AddressForm = { name: '', street: '', postcode: '', city: '', country: '' };
const EMPTY_CART_NOTICE = 'Your cart is empty: there was nothing to order.';
const QUANTITY_RULE = `Enter a whole number from 0 to ${MAX_LINE_QUANTITY} (0 removes the product).`;

// Both pages count the navigation's units from the lines they show: a line whose product is gone
// (taken out of the cart as the view was read) is not counted either.
function renderCart(res: Response, view: CartView, problem?: LineProblem): void {
  res.render('cart/cart', {
    pageTitle: 'Your cart',
    path: CART_PATH,
    cartCount: view.units,
    ...view,
    maxQuantity: MAX_LINE_QUANTITY,
    problem,
  });
}

function renderCheckout(
  res: Response,
  view: CartView,
  address: AddressForm,
  errors: FieldErrors,
  shortLines: ShortLine[] = [],
): void {
  res.render('cart/checkout', {
    shortLines,
    pageTitle: 'Checkout',
    path: CART_PATH,
    cartCount: view.units,
    ...view,
    address,
    errors,
    countries: DELIVERY_COUNTRIES,
    paymentMethod: PAYMENT_METHOD,
  });
}

function addressForm(address: ShippingAddress | undefined): AddressForm {
  return address ? { ...address } : { ...EMPTY_ADDRESS };
}

/**
 * Where add-to-cart sends the shopper back to: the form's `returnTo` (the page the form was on)
 * when it is a plain path on this site; without it (scripts, the contract's bare form) or for
 * anything else ("//evil.example", "/\evil", "https://..."), the cart.
 */
function returnPathOf(req: Request): string {
  return localPath(formField(req, 'returnTo')) ?? CART_PATH;
}

/** The cart, checkout, ordering, the orders pages and invoices: all for the logged-in shopper only. */
/** What a line short of stock says, in the cart or at the checkout. */
export function shortMessage(title: string, wanted: number, available: number): string {
  if (available === 0) return `${title} is out of stock.`;
  return `Only ${available} of ${title} ${available === 1 ? 'is' : 'are'} left: you asked for ${wanted}.`;
}

export function createCartController({ cart, orders, admins, securityLog }: CartControllerOptions) {
  async function postCart(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const productId = parseObjectId(formField(req, 'productId'));
    const outcome = productId && (await cart.add(user, productId));
    if (!outcome || outcome.kind === 'unknown-product') throw notFound();
    if (outcome.kind === 'full' || outcome.kind === 'not-enough') {
      // Nothing changed: the cart says so next to the line, with a 409 rather than a redirect that
      // would pass for an acknowledged add.
      const message =
        outcome.kind === 'full'
          ? `You already have ${MAX_LINE_QUANTITY} of ${outcome.title} in your cart: the most one order can hold.`
          : outcome.available === 0
            ? `${outcome.title} is out of stock: nothing was added.`
            : `Only ${outcome.available} of ${outcome.title} ${outcome.available === 1 ? 'is' : 'are'} in stock, and your cart already holds ${outcome.available === 1 ? 'it' : 'them'}.`;
      const typed = outcome.kind === 'full' ? MAX_LINE_QUANTITY : outcome.available;
      renderCart(res.status(409), await cart.view(user), {
        productId: String(productId),
        message,
        typed: String(typed),
      });
      return;
    }
    flash(req, res, 'success', `Added ${outcome.title} to your cart.`);
    res.redirect(returnPathOf(req));
  }

  async function getCart(req: Request, res: Response): Promise<void> {
    renderCart(res, await cart.view(loggedInUser(req)));
  }

  async function postCartUpdate(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const productId = parseObjectId(formField(req, 'productId'));
    // A product that is not in this shopper's cart (unknown, someone else's line) is not found.
    if (!productId || !user.cart.items.some((item) => item.productId.equals(productId))) throw notFound();
    const typed = formField(req, 'quantity');
    const quantity = parseQuantity(typed);
    if (quantity === undefined) {
      renderCart(res.status(422), await cart.view(user), {
        productId: productId.toHexString(),
        message: QUANTITY_RULE,
        typed: typedText(typed),
      });
      return;
    }
    const outcome = await cart.setQuantity(user, productId, quantity);
    // Removed meanwhile (another tab): nothing to change.
    if (outcome.kind === 'not-in-cart') throw notFound();
    if (outcome.kind === 'not-enough') {
      renderCart(res.status(409), await cart.view(user), {
        productId: productId.toHexString(),
        message: shortMessage(outcome.title, quantity, outcome.available),
        typed: typedText(typed),
      });
      return;
    }
    const { title } = outcome;
    if (quantity === 0) flash(req, res, 'success', `Removed ${title} from your cart.`);
    else flash(req, res, 'success', `${title}: quantity changed to ${quantity}.`);
    res.redirect(CART_PATH);
  }

  async function postCartDeleteItem(req: Request, res: Response): Promise<void> {
    const productId = parseObjectId(formField(req, 'productId'));
    if (!productId) throw notFound();
    const title = await cart.remove(loggedInUser(req), productId);
    if (title === undefined) flash(req, res, 'info', 'That product was no longer in your cart.');
    else flash(req, res, 'success', `Removed ${title} from your cart.`);
    res.redirect(CART_PATH);
  }

  async function getCheckout(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const view = await cart.view(user);
    if (view.lines.length === 0) {
      flash(req, res, 'info', 'Your cart is empty: add a product before checking out.');
      res.redirect(CART_PATH);
      return;
    }
    renderCheckout(res, view, addressForm(savedAddress(user)), {});
  }

  /**
   * Orders the cart. With the checkout form's address (validated: a 422 shows the checkout again
   * with what was typed), which is kept for next time. A POST without any address field (the
   * contract's bare "order now", scripts) still orders: to the address kept, or with none.
   */
  async function postOrder(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    let address: ShippingAddress | undefined;
    if (hasAddressFields(req.body)) {
      const errors = fieldErrors(req);
      if (hasErrors(errors)) {
        const view = await cart.view(user);
        if (view.lines.length > 0) {
          const typed = matchedData(req, { onlyValidData: false, locations: ['body'] });
          const form = { ...EMPTY_ADDRESS };
          for (const field of ADDRESS_FIELDS) form[field] = typedText(typed[field]);
          renderCheckout(res.status(422), view, form, errors);
          return;
        }
        flash(req, res, 'info', EMPTY_CART_NOTICE);
        res.redirect(CART_PATH);
        return;
      }
      address = validAddress(matchedData(req, { locations: ['body'] }));
    }

    const outcome = await cart.placeOrder(user, address);
    if (outcome.kind === 'placed') {
      res.redirect(orderConfirmationPath(outcome.order.id));
    } else if (outcome.kind === 'short') {
      // Nothing was ordered and the lines are back in the cart: the checkout again, naming the short lines.
      const view = await cart.view(user);
      renderCheckout(res.status(409), view, addressForm(address ?? savedAddress(user)), {}, outcome.lines);
    } else {
      flash(req, res, 'info', EMPTY_CART_NOTICE);
      res.redirect(CART_PATH);
    }
  }

  async function getOrderConfirmation(req: Request, res: Response): Promise<void> {
    const orderId = parseObjectId(req.params.orderId);
    const order = orderId && (await cart.order(loggedInUser(req), orderId));
    if (!order) throw notFound();
    res.render('cart/confirmation', {
      pageTitle: `Order ${order.number} confirmed`,
      path: '/orders',
      order,
      paymentMethod: PAYMENT_METHOD,
    });
  }

  async function getOrders(req: Request, res: Response): Promise<void> {
    await renderOrders(req, res);
  }

  async function renderOrders(req: Request, res: Response, notice?: string): Promise<void> {
    const list = await cart.orders(loggedInUser(req));
    res.render('cart/orders', {
      pageTitle: 'Your orders',
      path: '/orders',
      orders: list,
      paymentMethod: PAYMENT_METHOD,
      notice,
    });
  }

  /**
   * POST /orders/cancel: the buyer cancels their own placed order, nothing of it sent yet; an
   * admin any such order (a security-log event). Anyone else's order, or none: 404. Their own order
   * that can no longer be cancelled: the orders page again, 409, saying why.
   */
  async function postCancelOrder(req: Request, res: Response): Promise<void> {
    const user = loggedInUser(req);
    const orderId = parseObjectId(formField(req, 'orderId'));
    if (!orderId) throw notFound();
    let outcome = await orders.cancel(orderId, { buyerId: user._id });
    const asAdmin = outcome.kind === 'not-found' && admins.isAdmin(user);
    if (asAdmin) outcome = await orders.cancel(orderId, { admin: true });
    if (outcome.kind === 'not-found') throw notFound();
    if (outcome.kind === 'refused') {
      const why =
        outcome.order.status === 'cancelled'
          ? 'it was already cancelled'
          : 'it has already been sent, in part or whole';
      if (asAdmin) {
        flash(req, res, 'error', `Order ${outcome.order.number} cannot be cancelled: ${why}.`);
        res.redirect(localPath(formField(req, 'returnTo')) ?? ORDERS_PATH);
        return;
      }
      await renderOrders(req, res.status(409), `Order ${outcome.order.number} cannot be cancelled: ${why}.`);
      return;
    }
    if (asAdmin)
      securityLog.event(req, 'admin-order-cancelled', { userId: user._id.toHexString(), target: outcome.order.id });
    flash(req, res, 'success', `Order ${outcome.order.number} has been cancelled.`);
    res.redirect(localPath(formField(req, 'returnTo')) ?? ORDERS_PATH);
  }

  async function getInvoice(req: Request, res: Response): Promise<void> {
    const orderId = parseObjectId(req.params.orderId);
    const invoice = orderId && (await cart.invoice(loggedInUser(req), orderId));
    if (!invoice) throw notFound();
    res.type('application/pdf').attachment(invoice.filename);
    invoice.pdf.pipe(res);
  }

  return {
    postCart,
    getCart,
    postCartUpdate,
    postCartDeleteItem,
    getCheckout,
    postOrder,
    getOrderConfirmation,
    getOrders,
    postCancelOrder,
    getInvoice,
  };
}

export type CartController = ReturnType<typeof createCartController>;
