import { Types } from 'mongoose';
import type { UserDocument } from './accounts/user.schema';
import { Cart } from './cart/cart.service';
import { Orders } from './cart/orders.service';
import { Catalog, PRODUCTS_PER_PAGE } from './catalog/catalog.service';
import { Product } from './catalog/product.model';
import { User } from './user.model';

/** The demo buyer: the demo orders are theirs (the demo login sells, this one buys). */
export const DEMO_BUYER_EMAIL = 'buyer@example.com';

const DEMO_ADDRESS = {
  name: 'Grace Hopper',
  street: '7 Compiler Lane',
  postcode: '10115',
  city: 'Berlin',
  country: 'DE',
};

/** Each order: its lines by product title, and whether the seller has shipped it already. */
const DEMO_ORDERS: Array<{ lines: Array<[title: string, quantity: number]>; shipped?: boolean }> = [
  { lines: [['Desk Lamp', 1]], shipped: true },
  {
    lines: [
      ['Ceramic Coffee Mug', 1],
      ['Notebook, Dotted', 2],
    ],
  },
  { lines: [['Mechanical Keyboard', 1]] },
];

/**
 * The demo seller's orders: a demo buyer orders the seller's products through the shop's own
 * cart and checkout (the units taken from stock, the seller's list of orders to send kept), and
 * the first order is shipped, so that a fresh `npm run dev` shows every part of an order's life.
 */
export async function placeDemoOrders({ seller, password }: { seller: UserDocument; password: string }): Promise<void> {
  const buyer =
    (await User.findOne({ email: DEMO_BUYER_EMAIL })) ??
    (await User.create({ email: DEMO_BUYER_EMAIL, password, emailVerified: true }));
  const catalog = new Catalog({ users: User, perPage: PRODUCTS_PER_PAGE, cacheMs: 0 });
  const cart = new Cart({ users: User, catalog });
  const orders = new Orders({ users: User });
  for (const { lines, shipped } of DEMO_ORDERS) {
    for (const [title, quantity] of lines) {
      const productId = await productIdOf(title);
      for (let unit = 0; unit < quantity; unit++) await cart.add(buyer, productId);
    }
    const outcome = await cart.placeOrder(buyer, DEMO_ADDRESS);
    if (outcome.kind !== 'placed') throw new Error(`the demo order of ${lines[0][0]} was not placed: ${outcome.kind}`);
    if (shipped) await orders.ship(new Types.ObjectId(outcome.order.id), { sellerId: seller._id });
  }
}

async function productIdOf(title: string): Promise<Types.ObjectId> {
  const product = await Product.findOne({ title }, { _id: 1 }).lean<{ _id: Types.ObjectId }>();
  if (!product) throw new Error(`no demo product "${title}"`);
  return product._id;
}
