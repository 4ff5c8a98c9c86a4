/*
 * The shop's money: prices are kept in US dollars as numbers (a product's `price`), every sum is
 * counted in whole cents, and one format shows them (pages and invoices alike).
 */

/** A price in cents: 4.1 is 410, never 409.99999. Sums of cents never show 0.1 + 0.2 on a receipt. */
export function centsOf(price: number): number {
  return Math.round(price * 100);
}

const priceFormat = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** A price as kept (dollars): $4.10. */
export const formatPrice = (amount: number): string => priceFormat.format(amount);

/** An amount in cents: $4.10. */
export const formatCents = (cents: number): string => priceFormat.format(cents / 100);
