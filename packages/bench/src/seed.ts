/*
 * The bench's data, written through the shop's own models on mongoose's connection (connected by
 * the caller to the database to fill), and its sessions through the session store's `set`, the
 * method express-session itself calls.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcrypt';
import type { Request } from 'express';
import session, { type CookieOptions, type SessionData, type Store } from 'express-session';
import type { Types } from 'mongoose';
import { csrfToken, Product, User, type IProduct } from './shop';

export interface BenchUser {
  email: string;
  password: string;
  id: Types.ObjectId;
}

const PASSWORD = 'bench-password';
const WORDS = ['Ceramic', 'Walnut', 'Linen', 'Copper', 'Wool', 'Glass', 'Steel', 'Cotton', 'Oak', 'Leather'];
const THINGS = ['Mug', 'Lamp', 'Notebook', 'Bowl', 'Stand', 'Blanket', 'Vase', 'Tray', 'Clock', 'Bag'];

/**
 * `users` shoppers, as signup leaves them (a bcrypt hash at the shop's cost, an empty cart), then
 * `products` products owned by the first, in order (the last is the newest), in batches.
 */
export async function seedShop(options: {
  products: number;
  users: number;
  bcryptRounds: number;
}): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < options.users; i++) {
    const email = `bench-${i}@example.com`;
    const hash = await bcrypt.hash(PASSWORD, options.bcryptRounds);
    const user = await User.create({ email, password: hash, cart: { items: [] } });
    users.push({ email, password: PASSWORD, id: user._id });
  }
  const products: IProduct[] = Array.from({ length: options.products }, (_, i) => ({
    title: `${WORDS[i % WORDS.length]} ${THINGS[Math.floor(i / WORDS.length) % THINGS.length]} No. ${i + 1}`,
    price: Math.round((5 + ((i * 7919) % 20000) / 100) * 100) / 100,
    description:
      'A plausible product description of a realistic length, the kind a small shop writes for each item it sells.',
    imageUrl: '',
    userId: users[0].id,
  }));
  for (let start = 0; start < products.length; start += 1000) {
    await Product.insertMany(products.slice(start, start + 1000));
  }
  return users;
}

/** express-session's Cookie, as its middleware makes one per session (its type declares no constructor arguments). */
const Cookie = session.Cookie as unknown as new (options: CookieOptions) => session.Cookie;

/**
 * Writes logged-in sessions through the store's `set`, `concurrency` at a time, until the store
 * holds `target` (its `length`); returns the ids it wrote. Each is what a login leaves:
 * express-session's Cookie with the shop's cookie options, the shopper, the login time and a CSRF
 * token made by the shop's own generator; the store adds what it adds.
 */
export async function fillSessions(
  store: Store,
  users: BenchUser[],
  target: number,
  cookieOptions: CookieOptions,
  concurrency = 32,
): Promise<string[]> {
  const set = promisify(store.set.bind(store)) as (sid: string, data: SessionData) => Promise<void>;
  const missing = target - (await sessionCount(store));
  const ids: string[] = [];
  const writer = async () => {
    while (ids.length < missing) {
      const user = users[ids.length % users.length];
      // express-session's own id: 24 random bytes, base64url (uid-safe).
      const sid = crypto.randomBytes(24).toString('base64url');
      ids.push(sid);
      const data: SessionData = {
        cookie: new Cookie(cookieOptions),
        isLoggedIn: true,
        user: { _id: user.id.toHexString(), email: user.email },
        loggedInAt: Date.now(),
      };
      csrfToken({ session: data } as unknown as Request, true);
      await set(sid, data);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  return ids;
}

/** How many live sessions the store holds (express-session's `Store#length`). */
export const sessionCount = (store: Store): Promise<number> =>
  new Promise((resolve, reject) => {
    if (!store.length) reject(new Error('the session store has no length()'));
    else store.length((error, length) => (error ? reject(error) : resolve(length ?? 0)));
  });
