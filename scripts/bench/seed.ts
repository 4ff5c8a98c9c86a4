import crypto from 'node:crypto';
import bcrypt from 'bcrypt';
import { ObjectId, type Db } from 'mongodb';

/*
 * The bench's data, written straight through the driver in the shapes the models define
 * (src/models): products one second apart, so the shop's newest-first order is well defined.
 */

export interface BenchUser {
  email: string;
  password: string;
  id: ObjectId;
}

const PASSWORD = 'bench-password';
const WORDS = ['Ceramic', 'Walnut', 'Linen', 'Copper', 'Wool', 'Glass', 'Steel', 'Cotton', 'Oak', 'Leather'];
const THINGS = ['Mug', 'Lamp', 'Notebook', 'Bowl', 'Stand', 'Blanket', 'Vase', 'Tray', 'Clock', 'Bag'];

export async function seedShop(
  db: Db,
  options: { products: number; users: number; bcryptRounds: number },
): Promise<BenchUser[]> {
  const hash = await bcrypt.hash(PASSWORD, options.bcryptRounds);
  const now = Date.now();
  const users: BenchUser[] = Array.from({ length: options.users }, (_, i) => ({
    email: `bench-${i}@example.com`,
    password: PASSWORD,
    id: new ObjectId(),
  }));
  await db.collection('users').insertMany(
    users.map((user) => ({
      _id: user.id,
      email: user.email,
      password: hash,
      cart: { items: [] },
      createdAt: new Date(now),
      updatedAt: new Date(now),
      __v: 0,
    })),
  );

  const products = Array.from({ length: options.products }, (_, i) => {
    const createdAt = new Date(now - (options.products - i) * 1000);
    return {
      _id: new ObjectId(),
      title: `${WORDS[i % WORDS.length]} ${THINGS[Math.floor(i / WORDS.length) % THINGS.length]} No. ${i + 1}`,
      price: Math.round((5 + ((i * 7919) % 20000) / 100) * 100) / 100,
      description:
        'A plausible product description of a realistic length, the kind a small shop writes for each item it sells.',
      imageUrl: '',
      userId: users[0].id,
      createdAt,
      updatedAt: createdAt,
      __v: 0,
    };
  });
  for (let start = 0; start < products.length; start += 1000) {
    await db.collection('products').insertMany(products.slice(start, start + 1000));
  }
  return users;
}

/** A session document as the store writes one for a logged-in shopper (see CONTRACT.md). */
export function loggedInSessionDocument(user: BenchUser, idleMs: number): { _id: string } & Record<string, unknown> {
  const now = Date.now();
  const expires = new Date(now + idleMs);
  return {
    _id: crypto.randomBytes(24).toString('base64url'),
    expires,
    session: {
      cookie: {
        originalMaxAge: idleMs,
        expires: expires.toISOString(),
        secure: true,
        httpOnly: true,
        path: '/',
        sameSite: 'lax',
      },
      isLoggedIn: true,
      user: { _id: user.id.toHexString(), email: user.email },
      loggedInAt: now,
      csrfToken: crypto.randomBytes(32).toString('hex'),
      touchedAt: now,
    },
  };
}
