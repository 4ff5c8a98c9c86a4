import mongoose from 'mongoose';
import { Order } from '../../src/cart/order.model';
import { Product } from '../../src/catalog/product.model';
import { User } from '../../src/user.model';
import {
  TEST_ADDRESS,
  addProduct,
  countAddToCartForms,
  newShopper,
  placeOrder,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';
import { rowOf, textOf } from '../helpers/tables';

/*
 * Issue 23: stock. The add and edit forms' `stock` field, what pages say of it, add-to-cart and
 * quantity changes held to it, and ordering taking the units (or, short, taking none and saying
 * which lines are short and by how much). The shop window's cache is off here: the pages show the
 * stock of the moment.
 */

let shop: TestShop;
let seller: Shopper;

beforeAll(async () => {
  shop = await startTestShop('stock', { catalogCache: { cacheMs: 0 } });
  seller = await newShopper(shop.app, 'seller');
});

afterAll(async () => {
  await shop.close();
});

async function stockOf(productId: string): Promise<number | null | undefined> {
  return (await Product.findById(productId).lean())?.stock;
}

async function cartOf(shopper: Shopper) {
  const user = await User.findOne({ email: shopper.email }).lean();
  return (user?.cart.items ?? []).map((item) => [item.productId.toHexString(), item.quantity]);
}

function addToCart(shopper: Shopper, productId: string) {
  return shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId });
}

function setQuantity(shopper: Shopper, productId: string, quantity: string) {
  return shopper.agent.post('/cart-update').type('form').send({ _csrf: shopper.csrf, productId, quantity });
}

/** The edit form as a seller sends it: `fields` over a valid form. */
function edit(productId: string, fields: Record<string, unknown>) {
  return seller.agent
    .post('/admin/edit-product')
    .type('form')
    .send({
      _csrf: seller.csrf,
      productId,
      title: 'Kettle',
      price: '30',
      description: 'Boils.',
      imageUrl: '',
      ...fields,
    });
}

describe('the stock field of the add and edit forms', () => {
  test('a number is stored; empty, or a form with only the four fields, is "not tracked"', async () => {
    const counted = await addProduct(seller, { title: 'Counted', price: '2', stock: '12' });
    const empty = await addProduct(seller, { title: 'Made to order', price: '2', stock: '' });
    const course = await addProduct(seller, { title: 'Course form', price: '2' });
    expect(await stockOf(counted)).toBe(12);
    expect(await stockOf(empty)).toBeUndefined();
    expect(await stockOf(course)).toBeUndefined();
    const form = await seller.agent.get(`/admin/edit-product/${counted}`).expect(200);
    expect(form.text).toMatch(/<input id="stock" name="stock"[^>]*value="12"/);
  });

  test('an edit sets it, empties it (not tracked), or, without the field, keeps it', async () => {
    const id = await addProduct(seller, { title: 'Kettle', price: '30', stock: '4' });
    await edit(id, { stock: '7' }).expect(302);
    expect(await stockOf(id)).toBe(7);
    await edit(id, {}).expect(302);
    expect(await stockOf(id)).toBe(7);
    await edit(id, { stock: ' 0 ' }).expect(302);
    expect(await stockOf(id)).toBe(0);
    await edit(id, { stock: '' }).expect(302);
    expect(await stockOf(id)).toBeUndefined();
  });

  test('negative, fractional, huge, exponent, nested or repeated: 422 with the message, nothing changed', async () => {
    const id = await addProduct(seller, { title: 'Hostile Kettle', price: '30', stock: '5' });
    for (const stock of ['-1', '1.5', '100001', '1e3', '0x10', 'ten', '999999999999']) {
      const response = await edit(id, { stock }).expect(422);
      expect(response.text).toContain('Enter the units you have, a whole number from 0 to 100,000');
      expect(response.text).toContain(`value="${stock}"`);
    }
    // A repeated field (an array) and an operator object (JSON) are no number either.
    await seller.agent
      .post('/admin/edit-product')
      .type('form')
      .send(`_csrf=${encodeURIComponent(seller.csrf)}&productId=${id}&title=K&price=3&description=d&stock=1&stock=2`)
      .expect(422);
    await seller.agent
      .post('/admin/edit-product')
      .send({ _csrf: seller.csrf, productId: id, title: 'K', price: '3', description: 'd', stock: { $gt: 0 } })
      .expect(422);
    await seller.agent
      .post('/admin/add-product')
      .type('form')
      .send({ _csrf: seller.csrf, title: 'Negative', price: '3', description: 'd', stock: '-5' })
      .expect(422);
    expect(await stockOf(id)).toBe(5);
    expect(await Product.exists({ title: 'Negative' })).toBeNull();
    expect(await Product.findById(id).lean()).toMatchObject({ title: 'Hostile Kettle', price: 30, stock: 5 });
  });
});

describe('what the pages say, and what a cart may hold', () => {
  let plenty: string;
  let low: string;
  let none: string;
  let untracked: string;

  beforeAll(async () => {
    plenty = await addProduct(seller, { title: 'Plenty Tea', price: '3', stock: '40' });
    low = await addProduct(seller, { title: 'Rare Tea', price: '9', stock: '2' });
    none = await addProduct(seller, { title: 'Gone Tea', price: '5', stock: '0' });
    untracked = await addProduct(seller, { title: 'Endless Tea', price: '1' });
  });

  test('"In stock", "Only N left", "Out of stock"; no add-to-cart form when out of stock', async () => {
    const shopper = await newShopper(shop.app, 'reader');
    const expectations: Array<[string, string, number]> = [
      [plenty, 'In stock', 1],
      [low, 'Only 2 left', 1],
      [none, 'Out of stock', 0],
      [untracked, 'In stock', 1],
    ];
    for (const [id, label, forms] of expectations) {
      const page = await shopper.agent.get(`/products/${id}`).expect(200);
      expect(page.text).toContain(`>${label}</p>`);
      expect(countAddToCartForms(page.text)).toBe(forms);
    }
    const list = await shopper.agent.get('/products?q=tea').expect(200);
    expect(textOf(list.text)).toContain('Gone Tea $5.00 Out of stock');
    expect(textOf(list.text)).toContain('Rare Tea $9.00 Only 2 left');
    expect(countAddToCartForms(list.text)).toBe(3);
  });

  test('adding past the stock is a 409 that keeps the cart as it was; out of stock, nothing is added', async () => {
    const shopper = await newShopper(shop.app, 'adder');
    await addToCart(shopper, low).expect(302);
    await addToCart(shopper, low).expect(302);
    const third = await addToCart(shopper, low).expect(409);
    expect(third.text).toContain('Only 2 of Rare Tea are in stock, and your cart already holds them.');
    const out = await addToCart(shopper, none).expect(409);
    expect(out.text).toContain('Gone Tea is out of stock: nothing was added.');
    expect(await cartOf(shopper)).toEqual([[low, 2]]);
    // Parallel adds of the last units can't pass the stock either (the limit is in the update).
    const racer = await newShopper(shop.app, 'racer');
    const answers = await Promise.all(Array.from({ length: 6 }, () => addToCart(racer, low)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 302, 409, 409, 409, 409]);
    expect(await cartOf(racer)).toEqual([[low, 2]]);
  });

  test('raising a quantity past the stock is a 409 naming what is left; the line stays', async () => {
    const shopper = await newShopper(shop.app, 'raiser');
    await addToCart(shopper, low).expect(302);
    const response = await setQuantity(shopper, low, '3').expect(409);
    expect(response.text).toContain('Only 2 of Rare Tea are left: you asked for 3.');
    expect(response.text).toMatch(/id="quantity-[0-9a-f]{24}"[^>]*value="3"/);
    expect(await cartOf(shopper)).toEqual([[low, 1]]);
    await setQuantity(shopper, low, '2').expect(302);
    await setQuantity(shopper, untracked, '5').expect(404);
    await addToCart(shopper, untracked).expect(302);
    await setQuantity(shopper, untracked, '99').expect(302);
    expect(await cartOf(shopper)).toEqual([
      [low, 2],
      [untracked, 99],
    ]);
  });
});

describe('ordering takes the units', () => {
  test('an order takes its units; untracked lines need none', async () => {
    const tea = await addProduct(seller, { title: 'Oolong', price: '6', stock: '10' });
    const cup = await addProduct(seller, { title: 'Cup', price: '2' });
    const buyer = await newShopper(shop.app, 'buyer');
    for (const id of [tea, tea, tea, cup]) await addToCart(buyer, id).expect(302);
    const orderId = await placeOrder(buyer);
    expect(await stockOf(tea)).toBe(7);
    expect(await stockOf(cup)).toBeUndefined();
    // Settled: no marker left behind on the products.
    const marked = await Product.find({ _id: { $in: [tea, cup] } }, { stockTakenBy: 1 }).lean();
    expect(marked.map((product) => product.stockTakenBy ?? [])).toEqual([[], []]);
    const order = await Order.findById(orderId).lean();
    expect(order?.status).toBe('placed');
    expect(order?.history?.map((event) => event.status)).toEqual(['placed']);
  });

  test('a short line: nothing taken, the checkout again naming it and by how much, the cart as it was', async () => {
    const rare = await addProduct(seller, { title: 'White Tea', price: '20', stock: '3' });
    const common = await addProduct(seller, { title: 'Black Tea', price: '4', stock: '50' });
    const first = await newShopper(shop.app, 'first');
    const second = await newShopper(shop.app, 'second');
    for (const shopper of [first, second]) {
      await addToCart(shopper, rare).expect(302);
      await addToCart(shopper, rare).expect(302);
      await addToCart(shopper, common).expect(302);
    }
    const firstOrder = await placeOrder(first);
    const numberBefore = (await Order.findById(firstOrder).lean())!.number!;
    expect(await stockOf(rare)).toBe(1);

    const response = await second.agent
      .post('/create-order')
      .type('form')
      .send({ _csrf: second.csrf, ...TEST_ADDRESS })
      .expect(409);
    expect(textOf(response.text)).toContain('White Tea: only 1 left (you asked for 2).');
    expect(textOf(response.text)).not.toContain('Black Tea: only');
    // The checkout as it was: the lines, the address typed, the order button.
    expect(rowOf(response.text, 'White Tea')).toEqual(['White Tea', '$20.00', '2', '$40.00']);
    expect(response.text).toContain(`value="${TEST_ADDRESS.street}"`);
    expect(response.text).toContain('action="/create-order"');
    expect(await cartOf(second)).toEqual([
      [rare, 2],
      [common, 1],
    ]);
    expect(await stockOf(rare)).toBe(1);
    expect(await stockOf(common)).toBe(49);
    expect(await Order.countDocuments({ 'user.email': second.email })).toBe(0);
    const user = await User.findOne({ email: second.email }).lean();
    expect(user?.pendingOrders).toEqual([]);

    // The short order skipped no number: the next order has the very next one.
    await setQuantity(second, rare, '1').expect(302);
    const next = await placeOrder(second);
    expect((await Order.findById(next).lean())?.number).toBe(numberBefore + 1);
    expect(await stockOf(rare)).toBe(0);
  });

  test('out of stock at the checkout: said so, and nothing of the other lines is taken', async () => {
    const last = await addProduct(seller, { title: 'Last Kettle', price: '40', stock: '1' });
    const spoons = await addProduct(seller, { title: 'Spoons', price: '3', stock: '9' });
    const winner = await newShopper(shop.app, 'winner');
    const loser = await newShopper(shop.app, 'loser');
    await addToCart(winner, last).expect(302);
    for (const id of [spoons, last]) await addToCart(loser, id).expect(302);
    await placeOrder(winner);
    const response = await loser.agent.post('/create-order').type('form').send({ _csrf: loser.csrf }).expect(409);
    expect(textOf(response.text)).toContain('Last Kettle: out of stock (you asked for 1).');
    expect(await stockOf(spoons)).toBe(9);
    const cart = await loser.agent.get('/cart').expect(200);
    expect(textOf(cart.text)).toContain('Out of stock: remove it to order the rest');
  });

  test("the seller's dashboard shows each product's stock and units sold", async () => {
    const owner = await newShopper(shop.app, 'owner');
    const mug = await addProduct(owner, { title: 'Dashboard Mug', price: '8', stock: '6' });
    await addProduct(owner, { title: 'Dashboard Print', price: '15' });
    const buyer = await newShopper(shop.app, 'dashboard-buyer');
    for (const id of [mug, mug]) await addToCart(buyer, id).expect(302);
    await placeOrder(buyer);
    const page = await owner.agent.get('/admin/products').expect(200);
    expect(textOf(page.text)).toContain('Dashboard Mug $8.00 Stock: 4 · Sold: 2');
    expect(textOf(page.text)).toContain('Dashboard Print $15.00 Stock: not counted · Sold: 0');
  });

  test('cancelling returns the units, once; a shipped order cannot be cancelled', async () => {
    const owner = await newShopper(shop.app, 'cancel-owner');
    const vase = await addProduct(owner, { title: 'Vase', price: '25', stock: '5' });
    const buyer = await newShopper(shop.app, 'canceller');
    for (const id of [vase, vase, vase]) await addToCart(buyer, id).expect(302);
    const orderId = await placeOrder(buyer);
    expect(await stockOf(vase)).toBe(2);
    const cancel = () => buyer.agent.post('/orders/cancel').type('form').send({ _csrf: buyer.csrf, orderId });
    await cancel().expect(302).expect('Location', '/orders');
    expect(await stockOf(vase)).toBe(5);
    const again = await cancel().expect(409);
    expect(again.text).toContain('cannot be cancelled: it was already cancelled');
    expect(await stockOf(vase)).toBe(5);
    const order = await Order.findById(orderId).lean();
    expect(order?.status).toBe('cancelled');
    expect(order?.history?.map((event) => event.status)).toEqual(['placed', 'cancelled']);
    expect(order?.restockPending).toBeUndefined();

    // Units sold leave out the cancelled order.
    const dashboard = await owner.agent.get('/admin/products').expect(200);
    expect(textOf(dashboard.text)).toContain('Vase $25.00 Stock: 5 · Sold: 0');

    await addToCart(buyer, vase).expect(302);
    const shippedId = await placeOrder(buyer);
    await owner.agent
      .post('/admin/orders/ship')
      .type('form')
      .send({ _csrf: owner.csrf, orderId: shippedId })
      .expect(302);
    const refused = await buyer.agent
      .post('/orders/cancel')
      .type('form')
      .send({ _csrf: buyer.csrf, orderId: shippedId })
      .expect(409);
    expect(refused.text).toContain('cannot be cancelled: it has already been sent');
    expect((await Order.findById(shippedId).lean())?.status).toBe('shipped');
    expect(await stockOf(vase)).toBe(4);
  });

  test("someone else's order, an unknown or malformed id, an operator: 404 and nothing changed", async () => {
    const owner = await newShopper(shop.app, 'other-owner');
    const jar = await addProduct(owner, { title: 'Jar', price: '5', stock: '3' });
    const buyer = await newShopper(shop.app, 'jar-buyer');
    await addToCart(buyer, jar).expect(302);
    const orderId = await placeOrder(buyer);
    const stranger = await newShopper(shop.app, 'stranger');
    const post = (body: Record<string, unknown>) =>
      stranger.agent.post('/orders/cancel').send({ _csrf: stranger.csrf, ...body });
    await post({ orderId }).expect(404);
    await post({ orderId: new mongoose.Types.ObjectId().toHexString() }).expect(404);
    await post({ orderId: 'not-an-id' }).expect(404);
    await post({ orderId: { $ne: null } }).expect(404);
    await post({ orderId: [orderId] }).expect(404);
    await post({}).expect(404);
    expect((await Order.findById(orderId).lean())?.status).toBe('placed');
    expect(await stockOf(jar)).toBe(2);
  });
});

describe("the stock's writes may be repeated (a run after a crash, two processes' housekeeping)", () => {
  test('taking twice for one order takes once; giving back twice gives back once; a restock counts once', async () => {
    const { ProductStock } = await import('../../src/catalog/stock');
    const { OrderCancellation } = await import('../../src/cart/order-cancellation');
    const { OrdersToSend } = await import('../../src/cart/orders-to-send');
    const stock = new ProductStock();
    const id = new mongoose.Types.ObjectId(
      await addProduct(seller, { title: 'Repeated Tea', price: '5', stock: '10' }),
    );
    const orderId = new mongoose.Types.ObjectId();
    expect(await stock.take(id, 3, orderId)).toEqual({ kind: 'taken' });
    expect(await stock.take(id, 3, orderId)).toEqual({ kind: 'held' });
    expect(await stockOf(id.toHexString())).toBe(7);
    expect(await stock.giveBack(id, orderId)).toBe(true);
    expect(await stock.giveBack(id, orderId)).toBe(false);
    expect(await stockOf(id.toHexString())).toBe(10);
    // Short: nothing taken, and how many there are.
    expect(await stock.take(id, 11, orderId)).toEqual({ kind: 'short', available: 10 });
    expect(await stockOf(id.toHexString())).toBe(10);

    // A cancellation's restock, run twice (its markers stay), adds the units once.
    const buyer = await newShopper(shop.app, 'repeat-buyer');
    await addToCart(buyer, id.toHexString()).expect(302);
    const placed = await placeOrder(buyer);
    const cancellation = new OrderCancellation({ stock, sellers: new OrdersToSend(User), now: Date.now });
    const cancelled = await cancellation.cancel(new mongoose.Types.ObjectId(placed), { admin: true });
    expect(await stockOf(id.toHexString())).toBe(10);
    await cancellation.restock(cancelled!);
    await cancellation.restock(cancelled!);
    expect(await stockOf(id.toHexString())).toBe(10);
  });
});
