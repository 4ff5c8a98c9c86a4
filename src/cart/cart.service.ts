import { Product, type ProductRecord } from '../catalog/product.model';
import { Order, type OrderDocument } from './order.model';
import type { CartItem, UserDocument } from '../accounts/user.model';

export interface CartLine {
  product: ProductRecord;
  quantity: number;
}

/** The cart with its products; items whose product was deleted meanwhile are left out. */
export async function cartLines(items: readonly CartItem[]): Promise<CartLine[]> {
  if (items.length === 0) return [];
  const products = await Product.find({ _id: { $in: items.map((item) => item.productId) } }).lean<ProductRecord[]>();
  const byId = new Map(products.map((product) => [product._id.toHexString(), product]));
  return items.flatMap((item) => {
    const product = byId.get(item.productId.toHexString());
    return product ? [{ product, quantity: item.quantity }] : [];
  });
}

/**
 * Turns the shopper's cart into an order. The cart is claimed (emptied) in one atomic step
 * first, so two parallel checkouts cannot both order it; if the order then cannot be saved,
 * the claimed items go back into the cart. Returns undefined when there was nothing to order.
 */
export async function placeOrder(user: UserDocument): Promise<OrderDocument | undefined> {
  const claimed = await user.takeCart();
  if (claimed.length === 0) return undefined;
  try {
    const lines = await cartLines(claimed);
    if (lines.length === 0) return undefined;
    return await Order.create({
      items: lines.map(({ product, quantity }) => ({
        productId: product._id,
        title: product.title,
        price: product.price,
        quantity,
      })),
      user: { userId: user._id, email: user.email },
    });
  } catch (error) {
    // addToCart merges with whatever the shopper added meanwhile; the order's error is what counts.
    await Promise.allSettled(claimed.map((item) => user.addToCart(item.productId, item.quantity)));
    throw error;
  }
}
