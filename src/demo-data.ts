import bcrypt from 'bcrypt';
import type { Logger } from './platform/logger';
import { Product, type IProduct } from './catalog/product.model';
import { User } from './accounts/user.model';

/** The demo shopper printed at start-up, so that a fresh `npm run dev` can be tried at once. */
export const DEMO_LOGIN = { email: 'demo@example.com', password: 'demo-password' } as const;

type DemoProduct = Pick<IProduct, 'title' | 'price' | 'description'>;

const DEMO_PRODUCTS: DemoProduct[] = [
  {
    title: 'A Book About Sessions',
    price: 19.99,
    description: 'Cookies, stores and the redirect that came too early.',
  },
  { title: 'Ceramic Coffee Mug', price: 12.5, description: 'Holds 350 ml of whatever keeps you coding.' },
  { title: 'Mechanical Keyboard', price: 89, description: 'Tactile switches, a full layout and a detachable cable.' },
  {
    title: 'Desk Plant',
    price: 15.75,
    description: 'A small succulent that forgives the occasional forgotten watering.',
  },
  { title: 'Noise-Cancelling Headphones', price: 149.99, description: 'Over-ear, wireless, thirty hours of quiet.' },
  {
    title: 'Notebook, Dotted',
    price: 8.9,
    description: 'A5, 192 pages of dotted paper that takes fountain pens well.',
  },
  { title: 'Laptop Stand', price: 34, description: 'Aluminium, adjustable, folds flat for the bag.' },
  { title: 'USB-C Hub', price: 42.49, description: 'Two USB-A ports, HDMI, an SD card reader and power pass-through.' },
  { title: 'Desk Lamp', price: 27.3, description: 'Warm LED light with three brightness levels.' },
  { title: 'Sticky Notes, Pack of 12', price: 6.99, description: 'Square notes in six colours for the wall of ideas.' },
  { title: 'Water Bottle', price: 18, description: 'Insulated steel, keeps drinks cold for a whole day.' },
  { title: 'Rubber Duck', price: 3.5, description: 'For debugging out loud. Listens patiently.' },
];

/**
 * Fills an empty shop: a demo shopper who owns a dozen products. Does nothing when there are
 * products already, so it is safe on every start. Returns whether it added anything.
 */
export async function seedDemoData({
  bcryptRounds,
  logger,
}: {
  bcryptRounds: number;
  logger: Logger;
}): Promise<boolean> {
  if (await Product.exists({})) return false;

  const demoUser =
    (await User.findOne({ email: DEMO_LOGIN.email })) ??
    (await User.create({
      email: DEMO_LOGIN.email,
      password: await bcrypt.hash(DEMO_LOGIN.password, bcryptRounds),
      cart: { items: [] },
      emailVerified: true,
    }));
  await Product.insertMany(DEMO_PRODUCTS.map((product) => ({ ...product, imageUrl: '', userId: demoUser._id })));
  logger.info({ products: DEMO_PRODUCTS.length, email: DEMO_LOGIN.email }, 'demo data added');
  return true;
}

/** Whether the demo login still works: its shopper may have changed the password or be gone. */
export async function demoLoginWorks(): Promise<boolean> {
  const user = await User.findOne({ email: DEMO_LOGIN.email }).select('password').lean();
  return user !== null && (await bcrypt.compare(DEMO_LOGIN.password, user.password));
}
