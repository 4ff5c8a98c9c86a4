import fs from 'node:fs/promises';
import path from 'node:path';
import bcrypt from 'bcrypt';
import { Types } from 'mongoose';
import sharp from 'sharp';
import type { Logger } from './platform/logger';
import { Product, type IProduct, type ProductImage } from './catalog/product.model';
import { ProductImages } from './catalog/product-images.service';
import { User } from './user.model';
import { placeDemoOrders } from './demo-orders';

/** The demo shopper printed at start-up, so that a fresh `npm run dev` can be tried at once. */
export const DEMO_LOGIN = { email: 'demo@example.com', password: 'demo-password' } as const;

/** `picture`: its drawing in assets/demo-products/, made for the shop; no `stock`: not counted. */
type DemoProduct = Pick<IProduct, 'title' | 'price' | 'description'> & { picture: string; stock?: number };

/** The demo products' pictures: SVG drawings of the project's own (src/ and dist/ alike are one level down). */
export const DEMO_PICTURES_DIR = path.join(__dirname, '..', 'assets', 'demo-products');

const DEMO_PRODUCTS: DemoProduct[] = [
  {
    picture: 'book',
    stock: 25,
    title: 'A Book About Sessions',
    price: 19.99,
    description: 'Cookies, stores and the redirect that came too early.',
  },
  {
    picture: 'mug',
    stock: 40,
    title: 'Ceramic Coffee Mug',
    price: 12.5,
    description: 'Holds 350 ml of whatever keeps you coding.',
  },
  {
    picture: 'keyboard',
    stock: 3,
    title: 'Mechanical Keyboard',
    price: 89,
    description: 'Tactile switches, a full layout and a detachable cable.',
  },
  {
    picture: 'plant',
    stock: 12,
    title: 'Desk Plant',
    price: 15.75,
    description: 'A small succulent that forgives the occasional forgotten watering.',
  },
  {
    picture: 'headphones',
    stock: 0,
    title: 'Noise-Cancelling Headphones',
    price: 149.99,
    description: 'Over-ear, wireless, thirty hours of quiet.',
  },
  {
    picture: 'notebook',
    stock: 60,
    title: 'Notebook, Dotted',
    price: 8.9,
    description: 'A5, 192 pages of dotted paper that takes fountain pens well.',
  },
  {
    picture: 'laptop-stand',
    stock: 15,
    title: 'Laptop Stand',
    price: 34,
    description: 'Aluminium, adjustable, folds flat for the bag.',
  },
  {
    picture: 'usb-hub',
    stock: 20,
    title: 'USB-C Hub',
    price: 42.49,
    description: 'Two USB-A ports, HDMI, an SD card reader and power pass-through.',
  },
  {
    picture: 'lamp',
    stock: 8,
    title: 'Desk Lamp',
    price: 27.3,
    description: 'Warm LED light with three brightness levels.',
  },
  {
    picture: 'sticky-notes',
    title: 'Sticky Notes, Pack of 12',
    price: 6.99,
    description: 'Square notes in six colours for the wall of ideas.',
  },
  {
    picture: 'water-bottle',
    stock: 30,
    title: 'Water Bottle',
    price: 18,
    description: 'Insulated steel, keeps drinks cold for a whole day.',
  },
  {
    picture: 'rubber-duck',
    stock: 99,
    title: 'Rubber Duck',
    price: 3.5,
    description: 'For debugging out loud. Listens patiently.',
  },
];

/**
 * Fills an empty shop: a demo shopper who owns a dozen products (counted in stock, one of them
 * low, one out of stock, one not counted) and has orders to send, placed by a demo buyer through
 * the shop's own checkout. Does nothing when there are products already, so it is safe on every
 * start. Returns whether it added anything.
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
      emailVerified: true,
    }));
  // Each picture goes the way of a seller's upload (checked, re-encoded at each width, GridFS),
  // from a PNG that sharp draws of its SVG: a first start looks like a shop.
  const images = new ProductImages();
  const stored: ProductImage[] = [];
  try {
    const products = [];
    for (const { picture, ...product } of DEMO_PRODUCTS) {
      const _id = new Types.ObjectId();
      const drawing = await fs.readFile(path.join(DEMO_PICTURES_DIR, `${picture}.svg`));
      const image = await images.save(_id, await images.prepare(await sharp(drawing).png().toBuffer()));
      stored.push(image);
      products.push({ _id, ...product, imageUrl: '', image, userId: demoUser._id });
    }
    await Product.insertMany(products);
  } catch (error) {
    await images.remove(stored).catch(() => undefined);
    throw error;
  }
  await placeDemoOrders({ seller: demoUser, password: await bcrypt.hash(DEMO_LOGIN.password, bcryptRounds) });
  logger.info({ products: DEMO_PRODUCTS.length, email: DEMO_LOGIN.email }, 'demo data added');
  return true;
}

/** Whether the demo login still works: its shopper may have changed the password or be gone. */
export async function demoLoginWorks(): Promise<boolean> {
  const user = await User.findOne({ email: DEMO_LOGIN.email }).select('password').lean();
  return user?.password !== undefined && (await bcrypt.compare(DEMO_LOGIN.password, user.password));
}
