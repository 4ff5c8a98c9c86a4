import type { Types } from 'mongoose';
import { Product, type ProductRecord } from '../catalog/product.model';
import { centsOf } from '../http/money';
import type { CartItem } from './cart.model';

export interface CartLine {
  product: ProductRecord;
  quantity: number;
  /** Today's price of one unit, in cents. */
  unitCents: number;
  /** unitCents × quantity. */
  lineCents: number;
}

/**
 * The cart's items with their products as the database holds them now (prices, titles, stock);
 * `gone`: the products of items that no longer exist, which have no line. A hidden product counts
 * as gone for a cart; an order being placed (`withHidden`) keeps it: it was claimed before it was hidden.
 */
export async function cartLines(
  items: readonly CartItem[],
  { withHidden = false }: { withHidden?: boolean } = {},
): Promise<{ lines: CartLine[]; gone: Types.ObjectId[] }> {
  if (items.length === 0) return { lines: [], gone: [] };
  const ids = items.map((item) => item.productId);
  const filter = withHidden ? { _id: { $in: ids } } : { _id: { $in: ids }, hidden: { $ne: true } };
  const products = await Product.find(filter).lean<ProductRecord[]>();
  const byId = new Map(products.map((product) => [product._id.toHexString(), product]));
  const lines: CartLine[] = [];
  const gone: Types.ObjectId[] = [];
  for (const item of items) {
    const product = byId.get(item.productId.toHexString());
    if (!product) {
      gone.push(item.productId);
      continue;
    }
    const unitCents = centsOf(product.price);
    lines.push({ product, quantity: item.quantity, unitCents, lineCents: unitCents * item.quantity });
  }
  return { lines, gone };
}
