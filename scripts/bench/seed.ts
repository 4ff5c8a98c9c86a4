import type { Types } from 'mongoose';
import { Mailer } from '../../src/platform/mailer';
import { silentLogger } from '../../src/platform/logger';
import { Accounts } from '../../src/accounts/accounts.service';
import { User } from '../../src/user.model';
import { Product, type IProduct } from '../../src/catalog/product.model';
import type { MongoSessionStore } from '../../src/sessions/mongo-session-store';

/*
 * The bench's data, written through the shop's own code on mongoose's connection (connected by
 * the caller): shoppers sign up through the Accounts service (its bcrypt hash), products go in
 * through the Product model (its validation and timestamps), in batches.
 */

export interface BenchUser {
  email: string;
  password: string;
  id: Types.ObjectId;
}

const PASSWORD = 'bench-password';
const WORDS = ['Ceramic', 'Walnut', 'Linen', 'Copper', 'Wool', 'Glass', 'Steel', 'Cotton', 'Oak', 'Leather'];
const THINGS = ['Mug', 'Lamp', 'Notebook', 'Bowl', 'Stand', 'Blanket', 'Vase', 'Tray', 'Clock', 'Bag'];

/** `users` shoppers, then `products` products owned by the first (inserted in order: the last is the newest). */
export async function seedShop(options: {
  products: number;
  users: number;
  bcryptRounds: number;
  sessionStore: MongoSessionStore;
}): Promise<BenchUser[]> {
  // No mail: the confirmation links of the bench's shoppers go nowhere.
  const mailer = new Mailer({ from: 'bench@localhost' }, silentLogger);
  const accounts = new Accounts({
    users: User,
    bcryptRounds: options.bcryptRounds,
    sessionStore: options.sessionStore,
    mailer,
    publicUrl: 'http://localhost',
    now: Date.now,
  });
  const users: BenchUser[] = [];
  for (let i = 0; i < options.users; i++) {
    const email = `bench-${i}@example.com`;
    await accounts.signUp(email, PASSWORD);
    const user = await User.findOne({ email }).select('_id').lean();
    if (!user) throw new Error(`could not sign up ${email}`);
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
