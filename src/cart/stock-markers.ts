import { Order } from './order.model';
import type { OrderCancellation } from './order-cancellation';
import type { PendingOrders } from './pending-orders';
import type { ProductStock } from '../catalog/stock';

/** How long a restock marker stays on its product after its cancellation's restock is done. */
export const RESTOCK_MARKER_LEASES = 10;

/**
 * What the products' markers still hold once no run needs them (stock.ts): the housekeeping's
 * clean-up, for the markers a crash left (and the restock markers, which are only ever removed
 * here). A stock marker older than the lease is
 *
 *  - left alone while its pending record exists: that order's completion will release or give it back;
 *  - released when its order exists: the units are in the order (a crash came between settling and releasing);
 *  - given back otherwise: its order exists nowhere (a crash came between giving a short order's
 *    lines back to the cart and its units back to stock, or after an account was deleted).
 *
 * Younger markers are left to the run that is placing their order. A restock marker goes once its
 * order's restock is done and RESTOCK_MARKER_LEASES leases have passed: by then no run of that
 * restock can still be under way. Returns how many markers it removed.
 */
export async function sweepStockMarkers(
  parts: { stock: ProductStock; orders: PendingOrders; cancellation: OrderCancellation },
  { now, leaseMs }: { now: number; leaseMs: number },
): Promise<number> {
  const { stock, orders, cancellation } = parts;
  let removed = 0;
  for (const product of await stock.markedProducts()) {
    for (const marker of product.stockTakenBy ?? []) {
      if (marker.at.getTime() + leaseMs > now || (await orders.anyRecord(marker.order))) continue;
      if (await Order.exists({ _id: marker.order })) await stock.release(product._id, marker.order);
      else await stock.giveBack(product._id, marker.order);
      removed++;
    }
    for (const marker of product.restockedFor ?? []) {
      if (marker.at.getTime() + leaseMs * RESTOCK_MARKER_LEASES > now) continue;
      if (!(await cancellation.restockDone(marker.order))) continue;
      await stock.forgetRestock(product._id, marker.order);
      removed++;
    }
  }
  return removed;
}
