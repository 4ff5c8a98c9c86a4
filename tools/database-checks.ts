/**
 * After the load (`npm run load`): what the database holds, read with the plain driver, against
 * what the shop acknowledged to each virtual shopper (its ledger). Here, not in scripts/load, so
 * that tests/reliability/load-checks.test.ts can prove the checks on hand-made data.
 */
import { ObjectId, type Collection, type Db } from 'mongodb';

/** What the shop acknowledged to one shopper. */
export interface Ledger {
  email: string;
  /** Units the shop acknowledged (302 back to the page of the add), by product id. */
  addedUnits: Map<string, number>;
  /** Orders the shop acknowledged (302 to the order's confirmation page). */
  orders: number;
  /** Adds or orders that got no answer: they may or may not have happened. */
  uncertain: number;
  /** Logins that got no answer (a process killed meanwhile): each may have left a session behind. */
  unansweredLogins?: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

interface UserDoc {
  _id: ObjectId;
  email: string;
  cart?: { items?: Array<{ productId: ObjectId; quantity: number }> };
  /**
   * Orders being placed (cart/pending-orders.ts): claimed from the cart, not yet in the orders
   * collection. A process killed mid-order leaves one until its lease is over; its number, once
   * drawn, is kept on it.
   */
  pendingOrders?: Array<{ items?: Array<{ productId: ObjectId; quantity: number }>; number?: number }>;
}

interface OrderDoc {
  _id: ObjectId;
  user: { userId: ObjectId };
  items: Array<{ productId: ObjectId; quantity: number }>;
  /** The order number (cart/order-number.ts); orders from before numbers have none. */
  number?: number;
  status?: string;
}

interface ProductDoc {
  _id: ObjectId;
  stock?: number | null;
  /** Units held for orders being placed (catalog/stock.ts). */
  stockTakenBy?: Array<{ order: ObjectId; quantity: number }>;
}

interface SessionDoc {
  _id: string;
  expires?: unknown;
  session?: {
    cookie?: unknown;
    isLoggedIn?: boolean;
    user?: { _id?: unknown; email?: unknown };
  };
}

/** Shown in a failing check's detail: a few examples, not thousands. */
const EXAMPLES = 3;

/** Invoice numbers run on: at most this share of the numbers drawn may be skipped. */
export const MAX_SKIPPED_ORDER_NUMBERS = 0.01;

/**
 * `initialStock`: the units each counted product started the run with, by product id (the run's
 * seller set them): none may be sold twice.
 */
export async function verifyDatabase(
  db: Db,
  ledgers: readonly Ledger[],
  initialStock: ReadonlyMap<string, number> = new Map(),
): Promise<Check[]> {
  const users = db.collection<UserDoc>('users');
  const orders = db.collection<OrderDoc>('orders');
  const sessions = db.collection<SessionDoc>('sessions');

  const unitProblems: string[] = [];
  const orderProblems: string[] = [];
  let acknowledgedUnits = 0;
  let acknowledgedOrders = 0;
  const numbers: number[] = [];
  for (const ledger of ledgers) {
    acknowledgedOrders += ledger.orders;
    for (const units of ledger.addedUnits.values()) acknowledgedUnits += units;
    const user = await users.findOne({ email: ledger.email });
    if (!user) {
      if (ledger.addedUnits.size > 0 || ledger.orders > 0) unitProblems.push(`${ledger.email}: no such user`);
      continue;
    }
    const placed = await orders.find({ 'user.userId': user._id }).toArray();
    for (const order of placed) if (typeof order.number === 'number') numbers.push(order.number);
    const held = new Map<string, number>();
    const count = (items: ReadonlyArray<{ productId: ObjectId; quantity: number }>) => {
      for (const item of items)
        held.set(item.productId.toHexString(), (held.get(item.productId.toHexString()) ?? 0) + item.quantity);
    };
    for (const order of placed) count(order.items);
    for (const pending of user.pendingOrders ?? []) count(pending.items ?? []);
    count(user.cart?.items ?? []);

    // Exactly what was acknowledged; with unanswered requests, at least that (they may have happened).
    const exact = ledger.uncertain === 0;
    for (const productId of new Set([...ledger.addedUnits.keys(), ...held.keys()])) {
      const acknowledged = ledger.addedUnits.get(productId) ?? 0;
      const found = held.get(productId) ?? 0;
      if (exact ? found !== acknowledged : found < acknowledged) {
        unitProblems.push(`${ledger.email}: product ${productId} acknowledged ${acknowledged}, found ${found}`);
      }
    }
    if (exact ? placed.length !== ledger.orders : placed.length < ledger.orders) {
      orderProblems.push(`${ledger.email}: ${ledger.orders} orders acknowledged, ${placed.length} found`);
    }
  }

  const emails = new Set(ledgers.map((ledger) => ledger.email));
  const halfWritten: string[] = [];
  const loginsPerShopper = new Map<string, number>();
  let loggedIn = 0;
  for await (const doc of sessions.find({ 'session.isLoggedIn': true })) {
    loggedIn++;
    const user = doc.session?.user;
    const complete =
      doc.expires instanceof Date &&
      typeof doc.session?.cookie === 'object' &&
      typeof user?._id === 'string' &&
      /^[0-9a-f]{24}$/.test(user._id) &&
      typeof user.email === 'string';
    if (!complete) {
      halfWritten.push(doc._id);
      continue;
    }
    const email = user.email as string;
    if (emails.has(email)) loginsPerShopper.set(email, (loginsPerShopper.get(email) ?? 0) + 1);
  }
  // Logout destroys the session: a shopper is logged in at most once (the visit the time cut short),
  // and once more for each login whose answer never came (the browser never got its cookie).
  const unanswered = new Map(ledgers.map((ledger) => [ledger.email, ledger.unansweredLogins ?? 0]));
  const leftOver = [...loginsPerShopper]
    .filter(([email, logins]) => logins > 1 + (unanswered.get(email) ?? 0))
    .map(([email, logins]) => `${email}: ${logins}`);

  const skipped = await skippedOrderNumbers(orders, users, numbers);
  const stock = await stockProblems(db, orders, initialStock);
  return [
    {
      name: 'every acknowledged add-to-cart is in an order (placed or being placed) or in the cart',
      ok: unitProblems.length === 0,
      detail: unitProblems.length === 0 ? `${acknowledgedUnits} units` : examples(unitProblems),
    },
    {
      name: 'every acknowledged order is in the database',
      ok: orderProblems.length === 0,
      detail: orderProblems.length === 0 ? `${acknowledgedOrders} orders` : examples(orderProblems),
    },
    {
      name: 'no session is half-written (a login has its user id and email)',
      ok: halfWritten.length === 0,
      detail:
        halfWritten.length === 0
          ? `${loggedIn} logged-in sessions`
          : `${halfWritten.length} incomplete: ${examples(halfWritten)}`,
    },
    {
      name: `order numbers run on (at most ${MAX_SKIPPED_ORDER_NUMBERS * 100}% skipped)`,
      ok: skipped.share <= MAX_SKIPPED_ORDER_NUMBERS,
      detail: skipped.detail,
    },
    {
      name: 'nothing oversold: every counted unit is in stock, held for an order being placed, or in one order',
      ok: stock.problems.length === 0,
      detail: stock.problems.length === 0 ? stock.summary : examples(stock.problems),
    },
    {
      name: 'logout ended each session (at most one login left per shopper)',
      ok: leftOver.length === 0,
      detail: leftOver.length === 0 ? `${loginsPerShopper.size} shoppers still logged in` : examples(leftOver),
    },
  ];
}

/**
 * Numbers skipped between the smallest and the largest number of the run's orders: every order in
 * the database in that range counts (another shopper's too), and so does an order being placed
 * that holds its number (a process killed mid-order: it is completed with that number once its
 * lease is over); each number missing is one skipped.
 */
async function skippedOrderNumbers(
  orders: Collection<OrderDoc>,
  users: Collection<UserDoc>,
  runNumbers: readonly number[],
): Promise<{ share: number; detail: string }> {
  if (runNumbers.length === 0) return { share: 0, detail: 'no numbered order' };
  const first = Math.min(...runNumbers);
  const last = Math.max(...runNumbers);
  const used = new Set<number>();
  for (const order of await orders.find({ number: { $gte: first, $lte: last } }).toArray())
    if (typeof order.number === 'number') used.add(order.number);
  for (const user of await users.find({ 'pendingOrders.number': { $gte: first, $lte: last } }).toArray())
    for (const pending of user.pendingOrders ?? [])
      if (typeof pending.number === 'number' && pending.number >= first && pending.number <= last)
        used.add(pending.number);
  const inRange = used.size;
  const span = last - first + 1;
  const skipped = span - inRange;
  const share = skipped / span;
  return {
    share,
    detail: `${skipped} of ${span} numbers skipped (${(share * 100).toFixed(1)}%), orders ${first} to ${last}`,
  };
}

/**
 * For each counted product: its stock is never below 0, and its units now in stock, held by
 * markers of orders not in the database, and in orders not cancelled add up to what it started with.
 */
async function stockProblems(
  db: Db,
  orders: Collection<OrderDoc>,
  initialStock: ReadonlyMap<string, number>,
): Promise<{ problems: string[]; summary: string }> {
  const problems: string[] = [];
  let ordered = 0;
  let started = 0;
  let soldOut = 0;
  for (const [id, initial] of initialStock) {
    const product = await db
      .collection<ProductDoc>('products')
      .findOne({ _id: new ObjectId(id) }, { projection: { stock: 1, stockTakenBy: 1 } });
    if (!product || typeof product.stock !== 'number') {
      problems.push(`product ${id}: ${product ? 'no longer counted' : 'gone'}`);
      continue;
    }
    const holding = await orders.find({ 'items.productId': product._id }).toArray();
    const placed = holding
      .filter((order) => order.status !== 'cancelled')
      .flatMap((order) => order.items)
      .filter((item) => item.productId.equals(product._id))
      .reduce((sum, item) => sum + item.quantity, 0);
    const orderIds = new Set(holding.map((order) => order._id.toHexString()));
    const held = (product.stockTakenBy ?? [])
      .filter((marker) => !orderIds.has(marker.order.toHexString()))
      .reduce((sum, marker) => sum + marker.quantity, 0);
    if (product.stock < 0) problems.push(`product ${id}: stock ${product.stock}`);
    if (product.stock + held + placed !== initial) {
      problems.push(
        `product ${id}: started with ${initial}, ${product.stock} in stock + ${held} held + ${placed} ordered`,
      );
    }
    ordered += placed;
    started += initial;
    if (product.stock === 0) soldOut++;
  }
  return {
    problems,
    summary: `${initialStock.size} counted products: ${ordered} of their ${started} units ordered, ${soldOut} sold out`,
  };
}

function examples(problems: string[]): string {
  const more = problems.length > EXAMPLES ? ` (and ${problems.length - EXAMPLES} more)` : '';
  return problems.slice(0, EXAMPLES).join('; ') + more;
}
