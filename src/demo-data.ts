import fs from 'node:fs/promises';
import path from 'node:path';
import bcrypt from 'bcrypt';
import { Types } from 'mongoose';
import sharp from 'sharp';
import type { Logger } from './platform/logger';
import { Product, type IProduct, type ProductImage } from './catalog/product.model';
import { ProductImages } from './catalog/product-images.service';
import { User } from './user.model';

/** The demo shopper printed at start-up, so that a fresh `npm run dev` can be tried at once. */
export const DEMO_LOGIN = { email: 'demo@example.com', password: 'demo-password' } as const;

/** `picture`: its drawing in assets/demo-products/, made for the shop. */
type DemoProduct = Pick<IProduct, 'title' | 'price' | 'description'> & { picture: string };

/** The demo products' pictures: SVG drawings of the project's own (src/ and dist/ alike are one level down). */
export const DEMO_PICTURES_DIR = path.join(__dirname, '..', 'assets', 'demo-products');

const DEMO_PRODUCTS: DemoProduct[] = [
  {
    picture: 'book',
    title: 'A Book About Sessions',
    price: 19.99,
    description: 'Cookies, stores and the redirect that came too early.',
  },
  {
    picture: 'mug',
    title: 'Ceramic Coffee Mug',
    price: 12.5,
    description: 'Holds 350 ml of whatever keeps you coding.',
  },
  {
    picture: 'keyboard',
    title: 'Mechanical Keyboard',
    price: 89,
    description: 'Tactile switches, a full layout and a detachable cable.',
  },
  {
    picture: 'plant',
    title: 'Desk Plant',
    price: 15.75,
    description: 'A small succulent that forgives the occasional forgotten watering.',
  },
  {
    picture: 'headphones',
    title: 'Noise-Cancelling Headphones',
    price: 149.99,
    description: 'Over-ear, wireless, thirty hours of quiet.',
  },
  {
    picture: 'notebook',
    title: 'Notebook, Dotted',
    price: 8.9,
    description: 'A5, 192 pages of dotted paper that takes fountain pens well.',
  },
  {
    picture: 'laptop-stand',
    title: 'Laptop Stand',
    price: 34,
    description: 'Aluminium, adjustable, folds flat for the bag.',
  },
  {
    picture: 'usb-hub',
    title: 'USB-C Hub',
    price: 42.49,
    description: 'Two USB-A ports, HDMI, an SD card reader and power pass-through.',
  },
  { picture: 'lamp', title: 'Desk Lamp', price: 27.3, description: 'Warm LED light with three brightness levels.' },
  {
    picture: 'sticky-notes',
    title: 'Sticky Notes, Pack of 12',
    price: 6.99,
    description: 'Square notes in six colours for the wall of ideas.',
  },
  {
    picture: 'water-bottle',
    title: 'Water Bottle',
    price: 18,
    description: 'Insulated steel, keeps drinks cold for a whole day.',
  },
  {
    picture: 'rubber-duck',
    title: 'Rubber Duck',
    price: 3.5,
    description: 'For debugging out loud. Listens patiently.',
  },
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
  logger.info({ products: DEMO_PRODUCTS.length, email: DEMO_LOGIN.email }, 'demo data added');
  return true;
}

/** Whether the demo login still works: its shopper may have changed the password or be gone. */
export async function demoLoginWorks(): Promise<boolean> {
  const user = await User.findOne({ email: DEMO_LOGIN.email }).select('password').lean();
  return user !== null && (await bcrypt.compare(DEMO_LOGIN.password, user.password));
}
