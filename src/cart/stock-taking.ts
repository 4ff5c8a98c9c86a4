import type { Types } from 'mongoose';
import { isTracked } from '../catalog/product.model';
import type { ProductStock } from '../catalog/stock';
import type { CartLine } from './cart-lines';

/** A line an order could not have: how many the shopper wanted, how many there are. */
export interface ShortLine {
  productId: string;
  title: string;
  wanted: number;
  available: number;
}

/** What an order being placed holds of its products' stock after `takeStock`. */
export interface TakenStock {
  /** The lines whose units this very call took (its own writes: see `giveBackOwn`). */
  own: CartLine[];
  /** The tracked lines whose units are held for the order, by this call or an earlier run. */
  held: CartLine[];
  /** Lines with fewer units than asked for: the order cannot be placed. */
  short: ShortLine[];
  /** Products deleted meanwhile: their lines leave the order. */
  gone: Set<string>;
}

/**
 * Takes each tracked line's units for the order `orderId`, one conditional update per line
 * (catalog's stock.ts): a line already taken for this order (a run before a crash) is taken again
 * by nobody. Lines go in the order of their product ids, so that two orders wanting the same
 * products meet at the same first one, rather than each holding what the other lacks. At the first
 * short line taking stops (nothing more is held that would be given back at once); the lines after
 * it are checked against the stock just read, so that the shopper hears of every short line.
 * Untracked products need nothing.
 */
export async function takeStock(
  stock: ProductStock,
  lines: readonly CartLine[],
  orderId: Types.ObjectId,
): Promise<TakenStock> {
  const taken: TakenStock = { own: [], held: [], short: [], gone: new Set() };
  const byProduct = [...lines].sort((a, b) => a.product._id.toHexString().localeCompare(b.product._id.toHexString()));
  for (const line of byProduct) {
    if (!isTracked(line.product)) continue;
    const id = line.product._id.toHexString();
    if (taken.short.length > 0) {
      if (line.product.stock < line.quantity) taken.short.push(shortLine(line, line.product.stock));
      continue;
    }
    const taking = await stock.take(line.product._id, line.quantity, orderId);
    if (taking.kind === 'taken') {
      taken.own.push(line);
      taken.held.push(line);
    } else if (taking.kind === 'held') taken.held.push(line);
    else if (taking.kind === 'gone') taken.gone.add(id);
    else if (taking.kind === 'short') taken.short.push(shortLine(line, taking.available));
  }
  return taken;
}

/** Gives back the units of these lines that the order still holds: each only while its marker is there. */
export async function giveBack(
  stock: ProductStock,
  lines: readonly CartLine[],
  orderId: Types.ObjectId,
): Promise<void> {
  for (const line of lines) if (isTracked(line.product)) await stock.giveBack(line.product._id, orderId);
}

/** The order is placed: its markers go, the units stay sold. */
export async function releaseStock(
  stock: ProductStock,
  lines: readonly CartLine[],
  orderId: Types.ObjectId,
): Promise<void> {
  for (const line of lines) if (isTracked(line.product)) await stock.release(line.product._id, orderId);
}

function shortLine(line: CartLine, available: number): ShortLine {
  return {
    productId: line.product._id.toHexString(),
    title: line.product.title,
    wanted: line.quantity,
    available: Math.max(0, available),
  };
}
