import mongoose from 'mongoose';
import request from 'supertest';
import { Order } from '../../src/cart/order.model';
import { User } from '../../src/user.model';
import {
  CONFIRMATION_PATH,
  TEST_ADDRESS,
  addProduct,
  newShopper,
  placeOrder,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';
import { rowOf, textOf } from '../helpers/tables';

/*
 * Issue 16's cart, checkout and orders: quantities, the checkout's address form, the order's
 * confirmation, its number and dates, and where add-to-cart sends the shopper back to.
 */

let shop: TestShop;
let teaId: string;
let cupId: string;

beforeAll(async () => {
  shop = await startTestShop('checkout');
  const seller = await newShopper(shop.app, 'seller');
  teaId = await addProduct(seller, { title: 'Green Tea', price: '4.10' });
  cupId = await addProduct(seller, { title: 'Tea Cup', price: '0.20' });
});

afterAll(async () => {
  await shop.close();
});

async function cartOf(shopper: Shopper) {
  const user = await User.findOne({ email: shopper.email }).lean();
  return (user?.cart.items ?? []).map((item) => ({ productId: item.productId.toHexString(), quantity: item.quantity }));
}

function addToCart(shopper: Shopper, productId: string, extra: Record<string, string> = {}) {
  return shopper.agent
    .post('/cart')
    .type('form')
    .send({ _csrf: shopper.csrf, productId, ...extra });
}

function updateQuantity(shopper: Shopper, productId: string, quantity: string | string[]) {
  return shopper.agent.post('/cart-update').type('form').send({ _csrf: shopper.csrf, productId, quantity });
}

function order(shopper: Shopper, fields: Record<string, unknown>) {
  return shopper.agent
    .post('/create-order')
    .type('form')
    .send({ _csrf: shopper.csrf, ...fields });
}

/** The flash messages the page shows. */
function notices(html: string): string[] {
  return [...html.matchAll(/<p class="flash flash--\w+"[^>]*>([\s\S]*?)<\/p>/g)].map(([, text]) => textOf(text));
}

/** A shopper with 2 teas and 1 cup in the cart. */
async function shopperWithCart(name: string): Promise<Shopper> {
  const shopper = await newShopper(shop.app, name);
  for (const productId of [teaId, teaId, cupId]) await addToCart(shopper, productId).expect(302);
  return shopper;
}

describe('the cart', () => {
  test('one line per product with unit price, quantity and line total; subtotal and total', async () => {
    const shopper = await shopperWithCart('lines');
    const page = (await shopper.agent.get('/cart').expect(200)).text;
    expect(rowOf(page, 'Product')).toEqual(['Product', 'Unit price', 'Quantity', 'Line total', '']);
    expect(rowOf(page, 'Green Tea')).toEqual(['Green Tea', '$4.10', '2', '$8.20', '']);
    expect(rowOf(page, 'Tea Cup')).toEqual(['Tea Cup', '$0.20', '1', '$0.20', '']);
    expect(rowOf(page, 'Subtotal')).toEqual(['Subtotal', '$8.40', '']);
    expect(rowOf(page, 'Total')).toEqual(['Total', '$8.40', '']);
    expect(page).toContain('you pay on delivery');
    expect(page).toContain('<a class="btn" href="/checkout">Proceed to checkout</a>');
  });

  test('the navigation counts the units in the cart', async () => {
    const shopper = await shopperWithCart('counted');
    const page = (await shopper.agent.get('/products').expect(200)).text;
    expect(page).toContain('<span class="main-nav__cart-count">3<span class="visually-hidden"> items</span></span>');
    await updateQuantity(shopper, teaId, '0').expect(302);
    expect((await shopper.agent.get('/products').expect(200)).text).toContain(
      '<span class="main-nav__cart-count">1<span class="visually-hidden"> item</span></span>',
    );
    await updateQuantity(shopper, cupId, '0').expect(302);
    expect((await shopper.agent.get('/products').expect(200)).text).not.toContain('main-nav__cart-count');
  });

  test('a quantity changes in one update, and the cart says so', async () => {
    const shopper = await shopperWithCart('changer');
    await updateQuantity(shopper, teaId, '5').expect(302).expect('Location', '/cart');
    expect(await cartOf(shopper)).toEqual([
      { productId: teaId, quantity: 5 },
      { productId: cupId, quantity: 1 },
    ]);
    const page = (await shopper.agent.get('/cart').expect(200)).text;
    expect(notices(page)).toEqual(['Green Tea: quantity changed to 5.']);
    expect(rowOf(page, 'Green Tea')).toEqual(['Green Tea', '$4.10', '5', '$20.50', '']);
    expect(rowOf(page, 'Total')).toEqual(['Total', '$20.70', '']);
    // Leading and trailing spaces are forgiven; the largest line is 99.
    await updateQuantity(shopper, teaId, ' 99 ').expect(302);
    expect((await cartOf(shopper))[0]).toEqual({ productId: teaId, quantity: 99 });
  });

  test('quantity 0 removes the line', async () => {
    const shopper = await shopperWithCart('zero');
    await updateQuantity(shopper, cupId, '0').expect(302).expect('Location', '/cart');
    expect(await cartOf(shopper)).toEqual([{ productId: teaId, quantity: 2 }]);
    expect(notices((await shopper.agent.get('/cart').expect(200)).text)).toEqual(['Removed Tea Cup from your cart.']);
  });

  test.each([
    ['empty', ''],
    ['words', 'three'],
    ['negative', '-1'],
    ['a fraction', '1.5'],
    ['past the limit', '100'],
    ['an exponent', '1e2'],
    ['hex', '0x10'],
    ['huge', '99999999999999999999'],
    ['markup', '"><script>alert(1)</script>'],
    ['non-ASCII digits', '٣'],
  ])('a bad quantity (%s) is a 422 on the cart page, what was typed kept, nothing changed', async (_name, typed) => {
    const shopper = await shopperWithCart('typo');
    const response = await updateQuantity(shopper, teaId, typed).expect(422);
    expect(response.text).toContain('Enter a whole number from 0 to 99 (0 removes the product).');
    expect(response.text).toContain('aria-invalid="true" aria-describedby="quantity-error"');
    expect(response.text).not.toContain('<script>alert(1)</script>');
    if (typed !== '')
      expect(response.text).toContain(
        `value="${typed.replace(/"/g, '&#34;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`,
      );
    expect(await cartOf(shopper)).toEqual([
      { productId: teaId, quantity: 2 },
      { productId: cupId, quantity: 1 },
    ]);
  });

  test('a repeated quantity field or a JSON object is refused the same way', async () => {
    const shopper = await shopperWithCart('hostile-quantity');
    await updateQuantity(shopper, teaId, ['1', '2']).expect(422);
    await shopper.agent
      .post('/cart-update')
      .set('x-csrf-token', shopper.csrf)
      .send({ productId: teaId, quantity: { $gt: 0 } })
      .expect(422);
    await shopper.agent
      .post('/cart-update')
      .set('x-csrf-token', shopper.csrf)
      .send({ productId: { $ne: null }, quantity: '3' })
      .expect(404);
    expect((await cartOf(shopper))[0]).toEqual({ productId: teaId, quantity: 2 });
  });

  test("a product that is not in this shopper's cart (someone else's line, unknown, malformed) is a 404", async () => {
    const other = await newShopper(shop.app, 'other-cart');
    await addToCart(other, cupId).expect(302);
    const shopper = await newShopper(shop.app, 'own-cart');
    await addToCart(shopper, teaId).expect(302);
    // The cup is in the other shopper's cart only.
    for (const productId of [cupId, new mongoose.Types.ObjectId().toHexString(), 'not-an-id', '']) {
      const response = await updateQuantity(shopper, productId, '3');
      expect({ productId, status: response.status }).toEqual({ productId, status: 404 });
    }
    expect(await cartOf(shopper)).toEqual([{ productId: teaId, quantity: 1 }]);
    expect(await cartOf(other)).toEqual([{ productId: cupId, quantity: 1 }]);
  });

  test('Remove asks first (data-confirm, handled by public/js/confirm.js) and says what it removed', async () => {
    const shopper = await shopperWithCart('remover');
    const page = (await shopper.agent.get('/cart').expect(200)).text;
    expect(page).toContain(
      '<form action="/cart-delete-item" method="post" class="inline-form" data-confirm="Remove Green Tea from your cart?">',
    );
    expect(page).toMatch(/<script src="\/js\/confirm\.js\?v=[0-9a-f]{12}" defer><\/script>/);
    await shopper.agent
      .post('/cart-delete-item')
      .type('form')
      .send({ _csrf: shopper.csrf, productId: teaId })
      .expect(302)
      .expect('Location', '/cart');
    expect(notices((await shopper.agent.get('/cart').expect(200)).text)).toEqual(['Removed Green Tea from your cart.']);
    // Removing it again (a second tab) changes nothing and says so.
    await shopper.agent.post('/cart-delete-item').type('form').send({ _csrf: shopper.csrf, productId: teaId });
    expect(notices((await shopper.agent.get('/cart').expect(200)).text)).toEqual([
      'That product was no longer in your cart.',
    ]);
  });

  test('a line stops at 99: one more add is a 409 that says why, and changes nothing', async () => {
    const shopper = await newShopper(shop.app, 'hoarder');
    await addToCart(shopper, cupId).expect(302);
    await updateQuantity(shopper, cupId, '99').expect(302);
    const response = await addToCart(shopper, cupId).expect(409);
    expect(response.text).toContain('You already have 99 of Tea Cup in your cart: the most one order can hold.');
    expect(await cartOf(shopper)).toEqual([{ productId: cupId, quantity: 99 }]);
  });
});

describe('add to cart', () => {
  test('the forms carry the page they are on, and the shopper goes back there with a notice naming the product', async () => {
    const shopper = await newShopper(shop.app, 'browsing');
    const list = (await shopper.agent.get('/products?q=tea&sort=price-asc').expect(200)).text;
    expect(list).toContain('<input type="hidden" name="returnTo" value="/products?q=tea&amp;sort=price-asc">');
    const detail = (await shopper.agent.get(`/products/${teaId}`).expect(200)).text;
    expect(detail).toContain(`<input type="hidden" name="returnTo" value="/products/${teaId}">`);

    await addToCart(shopper, teaId, { returnTo: '/products?q=tea&sort=price-asc' })
      .expect(302)
      .expect('Location', '/products?q=tea&sort=price-asc');
    const back = (await shopper.agent.get('/products?q=tea&sort=price-asc').expect(200)).text;
    expect(notices(back)).toEqual(['Added Green Tea to your cart.']);
    // Shown once.
    expect(notices((await shopper.agent.get('/products').expect(200)).text)).toEqual([]);
    expect(await cartOf(shopper)).toEqual([{ productId: teaId, quantity: 1 }]);
  });

  test.each([
    ['another site', 'https://evil.example/'],
    ['a protocol-relative address', '//evil.example'],
    ['a backslash', '/\\evil.example'],
    ['an encoded backslash after normalizing', '/.//evil.example'],
    ['a header split', '/products\r\nSet-Cookie: a=b'],
    ['a script address', 'javascript:alert(1)'],
    ['a relative path', 'products'],
  ])('a return address that leaves the site (%s) is refused: back to the cart', async (_name, returnTo) => {
    const shopper = await newShopper(shop.app, 'redirected');
    await addToCart(shopper, cupId, { returnTo }).expect(302).expect('Location', '/cart');
    expect(notices((await shopper.agent.get('/cart').expect(200)).text)).toEqual(['Added Tea Cup to your cart.']);
  });

  test('without a return address (scripts, the contract) the cart it is, as before', async () => {
    const shopper = await newShopper(shop.app, 'scripted');
    await addToCart(shopper, cupId).expect(302).expect('Location', '/cart');
  });
});

describe('checkout', () => {
  test('an empty cart has no checkout: back to the cart, which says why', async () => {
    const shopper = await newShopper(shop.app, 'empty-checkout');
    await shopper.agent.get('/checkout').expect(302).expect('Location', '/cart');
    const cart = (await shopper.agent.get('/cart').expect(200)).text;
    expect(notices(cart)).toEqual(['Your cart is empty: add a product before checking out.']);
    expect(cart).toContain('Your cart is empty.');

    await order(shopper, TEST_ADDRESS).expect(302).expect('Location', '/cart');
    expect(notices((await shopper.agent.get('/cart').expect(200)).text)).toEqual([
      'Your cart is empty: there was nothing to order.',
    ]);
    expect(await Order.countDocuments({ 'user.email': shopper.email })).toBe(0);
  });

  test('the checkout shows the lines, the total, the address form and "pay on delivery"', async () => {
    const shopper = await shopperWithCart('reviewer');
    const page = (await shopper.agent.get('/checkout').expect(200)).text;
    expect(rowOf(page, 'Green Tea')).toEqual(['Green Tea', '$4.10', '2', '$8.20']);
    expect(rowOf(page, 'Total')).toEqual(['Total', '$8.40']);
    expect(page).toContain('<form class="form" action="/create-order" method="post" novalidate>');
    for (const field of ['name', 'street', 'postcode', 'city']) expect(page).toContain(`name="${field}" type="text"`);
    expect(page).toContain('<select id="country" name="country"');
    expect(page).toContain('Place order (pay on delivery)');
    expect(page).toContain('Nothing is charged now.');
  });

  test.each([
    ['name', { name: '   ' }, 'Enter the name of the person who receives the parcel.'],
    ['street', { street: '' }, 'Enter the street and house number.'],
    ['postcode', { postcode: '' }, 'Enter the postcode.'],
    ['postcode', { postcode: '12;DROP' }, 'Enter a postcode of 1 to 10 letters and digits'],
    ['city', { city: '' }, 'Enter the town or city.'],
    ['country', { country: '' }, 'Choose one of the countries we deliver to.'],
    ['country', { country: 'XX' }, 'Choose one of the countries we deliver to.'],
    ['name', { name: 'x'.repeat(101) }, 'Use at most 100 characters.'],
    ['street', { street: '1 Road\r\nBcc: someone@example.com' }, 'Use one line, without special characters.'],
    ['city', { city: 'Nul\u0000City' }, 'Use one line, without special characters.'],
  ])('a bad %s is a 422 with its message, what was typed kept, nothing ordered', async (field, bad, message) => {
    const shopper = await shopperWithCart(`bad-${field}`);
    const typed = { ...TEST_ADDRESS, ...bad };
    const response = await order(shopper, typed).expect(422);
    expect(response.text).toContain(`id="${field}-error"`);
    expect(response.text).toContain(message);
    expect(response.text).toContain(`aria-invalid="true" aria-describedby="${field}-error"`);
    // The other fields keep what was typed.
    for (const other of ['name', 'street', 'postcode', 'city'] as const) {
      if (other !== field) expect(response.text).toContain(`value="${typed[other]}"`);
    }
    // And the page still shows what is being ordered.
    expect(rowOf(response.text, 'Total')).toEqual(['Total', '$8.40']);
    expect(await Order.countDocuments({ 'user.email': shopper.email })).toBe(0);
    expect(await cartOf(shopper)).toHaveLength(2);
    expect((await User.findOne({ email: shopper.email }).lean())?.shippingAddress).toBeUndefined();
  });

  test('markup, repeated fields and operator objects are refused or shown as text, never run', async () => {
    const shopper = await shopperWithCart('hostile-address');
    const markup = await order(shopper, {
      ...TEST_ADDRESS,
      name: '<script>alert(1)</script>',
      city: '"><img src=x>',
    }).expect(302);
    expect(markup.headers.location).toMatch(CONFIRMATION_PATH);
    const confirmation = (await shopper.agent.get(String(markup.headers.location)).expect(200)).text;
    expect(confirmation).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(confirmation).not.toContain('<script>alert(1)');
    expect(confirmation).not.toContain('<img src=x>');

    const again = await shopperWithCart('hostile-address-2');
    const repeated = await again.agent
      .post('/create-order')
      .type('form')
      .send(`_csrf=${encodeURIComponent(again.csrf)}&name=A&name=B&street=1+Road&postcode=123&city=Town&country=GB`)
      .expect(422);
    expect(repeated.text).toContain('Enter the name of the person who receives the parcel.');
    const operators = await again.agent
      .post('/create-order')
      .set('x-csrf-token', again.csrf)
      .send({ ...TEST_ADDRESS, name: { $gt: '' }, country: { $ne: 'XX' } })
      .expect(422);
    expect(operators.text).toContain('Choose the country.');
    expect(await Order.countDocuments({ 'user.email': again.email })).toBe(0);
  });

  test('the address is kept on the User and fills the form next time; a new one replaces it', async () => {
    const shopper = await shopperWithCart('returning');
    await placeOrder(shopper, { ...TEST_ADDRESS, postcode: 'sw1y 4jh' });
    const kept = (await User.findOne({ email: shopper.email }).lean())?.shippingAddress;
    // Postcodes are kept in capitals, as printed on a parcel.
    expect(kept).toEqual({ ...TEST_ADDRESS, postcode: 'SW1Y 4JH' });

    await addToCart(shopper, cupId).expect(302);
    const form = (await shopper.agent.get('/checkout').expect(200)).text;
    expect(form).toContain(`value="${TEST_ADDRESS.name}"`);
    expect(form).toContain('value="SW1Y 4JH"');
    expect(form).toContain('<option value="GB" selected>United Kingdom</option>');

    const moved = { name: 'Ada King', street: '1 New Road', postcode: '75001', city: 'Paris', country: 'FR' };
    await placeOrder(shopper, moved);
    expect((await User.findOne({ email: shopper.email }).lean())?.shippingAddress).toEqual(moved);
  });

  test('the order stores the address; the confirmation page shows number, lines, address and payment', async () => {
    const shopper = await shopperWithCart('confirmed');
    const orderId = await placeOrder(shopper);
    const stored = await Order.findById(orderId).lean();
    expect(stored?.shippingAddress).toEqual(TEST_ADDRESS);
    expect(stored?.number).toEqual(expect.any(Number));
    expect(await cartOf(shopper)).toEqual([]);

    const page = (await shopper.agent.get(`/orders/${orderId}/confirmation`).expect(200)).text;
    expect(page).toContain('<h1>Thank you for your order</h1>');
    expect(page).toContain(`Order ${stored!.number}`);
    expect(rowOf(page, 'Green Tea')).toEqual(['Green Tea', '$4.10', '2', '$8.20']);
    expect(rowOf(page, 'Total')).toEqual(['Total', '$8.40']);
    expect(page).toContain(
      '<address class="order__address">Ada Lovelace<br>12 Example Street<br>SW1Y 4JH London<br>United Kingdom<br></address>',
    );
    expect(page).toContain('<strong>pay on delivery</strong>');
    expect(page).toContain(`href="/orders/${orderId}/invoice"`);
  });

  test("only the buyer sees an order's confirmation: anyone else, unknown and malformed ids get 404", async () => {
    const buyer = await shopperWithCart('owner');
    const orderId = await placeOrder(buyer);
    const other = await newShopper(shop.app, 'snoop');
    for (const id of [orderId, new mongoose.Types.ObjectId().toHexString(), 'not-an-id', '%7B%24gt%7D']) {
      const response = await other.agent.get(`/orders/${id}/confirmation`);
      expect({ id, status: response.status }).toEqual({ id, status: 404 });
    }
    await request(shop.app)
      .get(`/orders/${orderId}/confirmation`)
      .expect(302)
      .expect('Location', `/login?returnTo=${encodeURIComponent(`/orders/${orderId}/confirmation`)}`);
  });

  test('a POST /create-order without an address (the contract, scripts) still orders: to the kept address, or none', async () => {
    const first = await shopperWithCart('bare-order');
    const response = await order(first, {}).expect(302);
    const orderId = CONFIRMATION_PATH.exec(String(response.headers.location))?.[1];
    expect((await Order.findById(orderId).lean())?.shippingAddress).toBeUndefined();
    expect((await first.agent.get(`/orders/${orderId}/confirmation`).expect(200)).text).toContain(
      'None was given with this order.',
    );

    // With an address kept from an earlier checkout, that one.
    await addToCart(first, teaId).expect(302);
    await placeOrder(first);
    await addToCart(first, cupId).expect(302);
    const again = await order(first, {}).expect(302);
    const againId = CONFIRMATION_PATH.exec(String(again.headers.location))?.[1];
    expect((await Order.findById(againId).lean())?.shippingAddress).toEqual(TEST_ADDRESS);
  });
});

describe('orders', () => {
  test('short order numbers, unique and increasing; the pages show them, never the raw id', async () => {
    const shopper = await newShopper(shop.app, 'numbered');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await addToCart(shopper, cupId).expect(302);
      ids.push(await placeOrder(shopper));
    }
    const numbers = await Promise.all(ids.map(async (id) => (await Order.findById(id).lean())!.number!));
    expect(numbers[1]).toBeGreaterThan(numbers[0]);
    expect(numbers[2]).toBeGreaterThan(numbers[1]);
    for (const number of numbers) expect(String(number)).toMatch(/^\d{4,}$/);

    const page = (await shopper.agent.get('/orders').expect(200)).text;
    for (const number of numbers) expect(page).toContain(`<h2 class="order__title">Order ${number}`);
    // The id only in the invoice links and the cancel forms, never as text.
    for (const id of ids) {
      expect(page).toContain(`href="/orders/${id}/invoice"`);
      expect(textOf(page)).not.toContain(id);
    }
  });

  test('dates: a <time> with the UTC time, clearly labelled, that public/js/local-time.js puts in local time', async () => {
    const shopper = await shopperWithCart('dated');
    const orderId = await placeOrder(shopper);
    const createdAt = (await Order.findById(orderId).lean())!.createdAt;
    for (const path of ['/orders', `/orders/${orderId}/confirmation`]) {
      const page = (await shopper.agent.get(path).expect(200)).text;
      const time = new RegExp(`<time datetime="${createdAt.toISOString()}" data-local-time>([^<]+) UTC</time>`);
      expect(page).toMatch(time);
      expect(page).toMatch(/<script src="\/js\/local-time\.js\?v=[0-9a-f]{12}" defer><\/script>/);
      // No inline script: the Content-Security-Policy would refuse it.
      expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
  });

  test('items as a table: product, unit price, quantity, line total, then the total', async () => {
    const shopper = await shopperWithCart('tabled');
    await placeOrder(shopper);
    const page = (await shopper.agent.get('/orders').expect(200)).text;
    expect(rowOf(page, 'Product')).toEqual(['Product', 'Unit price', 'Quantity', 'Line total']);
    expect(rowOf(page, 'Tea Cup')).toEqual(['Tea Cup', '$0.20', '1', '$0.20']);
    expect(rowOf(page, 'Total')).toEqual(['Total', '$8.40']);
  });
});
