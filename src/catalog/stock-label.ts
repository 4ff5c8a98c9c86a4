import { LOW_STOCK, isTracked, type IProduct } from './product.model';

/** What a product page or card says of its stock, and how it looks (`stock--low`, `stock--out`). */
export interface StockLabel {
  text: string;
  kind: 'in' | 'low' | 'out';
}

/**
 * "In stock" (also for a product whose units are not counted: always available), "Only N left"
 * from LOW_STOCK down, "Out of stock" at 0. Pages show what the shop window's cache holds: at most
 * CATALOG_CACHE_MS behind the orders; adding to the cart and ordering read the stock afresh.
 */
export function stockLabel(product: Pick<IProduct, 'stock'>): StockLabel {
  if (!isTracked(product) || product.stock > LOW_STOCK) return { text: 'In stock', kind: 'in' };
  if (product.stock === 0) return { text: 'Out of stock', kind: 'out' };
  return { text: `Only ${product.stock} left`, kind: 'low' };
}

/** Whether a product can be added to a cart at all. */
export function isOutOfStock(product: Pick<IProduct, 'stock'>): boolean {
  return isTracked(product) && product.stock === 0;
}
