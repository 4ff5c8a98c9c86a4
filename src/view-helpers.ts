import { PLACEHOLDER_IMAGE } from './models/product';

const priceFormat = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** Helpers every view can use (app.locals). */
export const viewHelpers = {
  formatPrice: (amount: number): string => priceFormat.format(amount),
  formatCents: (cents: number): string => priceFormat.format(cents / 100),
  imageOf: (product: { imageUrl?: string }): string => product.imageUrl || PLACEHOLDER_IMAGE,
  formatDate: (date: Date): string =>
    date.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC',
};
