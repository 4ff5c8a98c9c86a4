import { assetUrl } from './assets';
import { formatCents, formatPrice } from './money';
import { WEBAUTHN_BROWSER_URL } from './vendor-modules';

/** Shown for a product without an image. */
export const PLACEHOLDER_IMAGE = '/images/placeholder.svg';

/** The shop's name, on every page title and on invoices. */
export const SHOP_NAME = 'Session Shop';

/** Where the shop is, in the footer and on invoices (a demo address). */
export const SHOP_ADDRESS = '12 Example Street, 10115 Berlin, Germany';

export const formatDate = (date: Date): string =>
  date.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

/** Helpers every view can use (app.locals). */
export const viewHelpers = {
  shopName: SHOP_NAME,
  shopAddress: SHOP_ADDRESS,
  asset: assetUrl,
  placeholderImage: PLACEHOLDER_IMAGE,
  formatPrice,
  formatCents,
  formatDate,
  /** @simplewebauthn/browser's module, for the passkey pages' script (public/js/passkeys.mjs). */
  webauthnBrowserUrl: WEBAUTHN_BROWSER_URL,
};
