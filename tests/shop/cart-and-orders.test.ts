import mongoose from 'mongoose';
import { Order } from '../../src/cart/order.model';
import { Product } from '../../src/catalog/product.model';
import { User } from '../../src/user.model';
import { addProduct, newShopper, placeOrder, startTestShop, type Shopper, type TestShop } from '../helpers/shop';
import { rowOf } from '../helpers/tables';

let shop: TestShop;
let seller: Shopper;
let teaId: string;
let cupId: string;

beforeAll(async () => {
  shop = await startTestShop('cart_orders');
  seller = await newShopper(shop.app, 'seller');
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

function addToCart(shopper: Shopper, productId: string) {
  return shopper.agent.post('/cart').type('form').send({ _csrf: shopper.csrf, productId });
}

test('add, count up, remove, order: the order snapshots the products and the cart is empty after', async () => {
  const buyer = await newShopper(shop.app, 'buyer');
  await addToCart(buyer, teaId).expect(302).expect('Location', '/cart');
  await addToCart(buyer, teaId).expect(302);
  await addToCart(buyer, cupId).expect(302);
  expect(await cartOf(buyer)).toEqual([
    { productId: teaId, quantity: 2 },
    { productId: cupId, quantity: 1 },
  ]);

  const cartPage = await buyer.agent.get('/cart').expect(200);
  expect(cartPage.text).toContain('Green Tea');
  expect(cartPage.text).toContain('$8.40'); // 2 × 4.10 + 0.20, in cents: no 8.399999
  await buyer.agent.post('/cart-delete-item').type('form').send({ _csrf: buyer.csrf, productId: cupId }).expect(302);
  expect(await cartOf(buyer)).toEqual([{ productId: teaId, quantity: 2 }]);

  await placeOrder(buyer);
  expect(await cartOf(buyer)).toEqual([]);

  // A later price change does not rewrite history.
  await Product.updateOne({ _id: teaId }, { $set: { price: 99 } });
  const orders = await Order.find({ 'user.email': buyer.email }).lean();
  expect(orders).toHaveLength(1);
  const sellerId = (await User.findOne({ email: seller.email }).lean())?._id;
  expect(orders[0].items).toEqual([
    { productId: new mongoose.Types.ObjectId(teaId), title: 'Green Tea', price: 4.1, quantity: 2, sellerId },
  ]);
  const ordersPage = await buyer.agent.get('/orders').expect(200);
  expect(rowOf(ordersPage.text, 'Green Tea')).toEqual(['Green Tea', '$4.10', '2', '$8.20']);
  expect(rowOf(ordersPage.text, 'Total')).toEqual(['Total', '$8.20']);
  await Product.updateOne({ _id: teaId }, { $set: { price: 4.1 } });

  const emptyCart = await buyer.agent.get('/cart').expect(200);
  expect(emptyCart.text).toContain('Your cart is empty');
});

test('ordering an empty cart creates no order and goes back to the cart', async () => {
  const buyer = await newShopper(shop.app, 'empty');
  await buyer.agent
    .post('/create-order')
    .type('form')
    .send({ _csrf: buyer.csrf })
    .expect(302)
    .expect('Location', '/cart');
  expect(await Order.countDocuments({ 'user.email': buyer.email })).toBe(0);
});

test('50 parallel add-to-cart requests of one product give quantity exactly 50', async () => {
  const buyer = await newShopper(shop.app, 'parallel');
  const responses = await Promise.all(Array.from({ length: 50 }, () => addToCart(buyer, cupId)));
  expect(responses.map((r) => r.status)).toEqual(Array(50).fill(302));
  expect(await cartOf(buyer)).toEqual([{ productId: cupId, quantity: 50 }]);
});

test('unknown or malformed product ids cannot be added to the cart', async () => {
  const buyer = await newShopper(shop.app, 'bogus');
  await addToCart(buyer, 'not-an-id').expect(404);
  await addToCart(buyer, new mongoose.Types.ObjectId().toHexString()).expect(404);
  expect(await cartOf(buyer)).toEqual([]);
});

test('req.user is a full mongoose document: the cart methods work on it', async () => {
  // POST /cart calls req.user.addToCart(); it only exists on a hydrated document.
  const buyer = await newShopper(shop.app, 'hydrated');
  await addToCart(buyer, teaId).expect(302);
  expect(await cartOf(buyer)).toEqual([{ productId: teaId, quantity: 1 }]);
});

describe('admin pages: only your own products', () => {
  test('list, edit and delete your own products', async () => {
    const owner = await newShopper(shop.app, 'owner');
    const id = await addProduct(owner, { title: 'Lamp', price: '30' });
    const list = await owner.agent.get('/admin/products').expect(200);
    expect(list.text).toContain('Lamp');
    expect(list.text).not.toContain('Green Tea');

    const form = await owner.agent.get(`/admin/edit-product/${id}`).expect(200);
    expect(form.text).toContain('value="30.00"');
    await owner.agent
      .post('/admin/edit-product')
      .type('form')
      .send({
        _csrf: owner.csrf,
        productId: id,
        title: 'Desk Lamp',
        price: '31.5',
        description: 'Bright.',
        imageUrl: '/images/lamp.png',
      })
      .expect(302)
      .expect('Location', '/admin/products');
    expect(await Product.findById(id).lean()).toMatchObject({
      title: 'Desk Lamp',
      price: 31.5,
      imageUrl: '/images/lamp.png',
    });

    await owner.agent.post('/admin/delete-product').type('form').send({ _csrf: owner.csrf, productId: id }).expect(302);
    expect(await Product.exists({ _id: id })).toBeNull();
  });

  test("editing or deleting someone else's product is a 404 and changes nothing", async () => {
    const intruder = await newShopper(shop.app, 'intruder');
    await intruder.agent.get(`/admin/edit-product/${teaId}`).expect(404);
    await intruder.agent
      .post('/admin/edit-product')
      .type('form')
      .send({ _csrf: intruder.csrf, productId: teaId, title: 'Hacked', price: '0.01', description: 'x', imageUrl: '' })
      .expect(404);
    await intruder.agent
      .post('/admin/edit-product')
      .type('form')
      .send({ _csrf: intruder.csrf, productId: teaId, title: '', price: 'free', description: '', imageUrl: '' })
      .expect(404);
    await intruder.agent
      .post('/admin/delete-product')
      .type('form')
      .send({ _csrf: intruder.csrf, productId: teaId })
      .expect(404);
    expect(await Product.findById(teaId).lean()).toMatchObject({ title: 'Green Tea', price: 4.1 });
  });

  test('invalid product forms re-render with 422, the typed values and a message per field', async () => {
    const owner = await newShopper(shop.app, 'sloppy');
    const response = await owner.agent
      .post('/admin/add-product')
      .type('form')
      .send({ _csrf: owner.csrf, title: '  ', price: '12.345', description: '', imageUrl: 'javascript:alert(1)' })
      .expect(422);
    expect(response.text).toContain('Enter a title.');
    expect(response.text).toContain('at most two decimals');
    expect(response.text).toContain('Enter a description.');
    expect(response.text).toContain('Enter an http(s) address');
    expect(response.text).toContain('value="12.345"');
    for (const price of ['0', '-3', '1000000.01', 'abc']) {
      await owner.agent
        .post('/admin/add-product')
        .type('form')
        .send({ _csrf: owner.csrf, title: 'Price test', price, description: 'x', imageUrl: '' })
        .expect(422);
    }
    expect(await Product.countDocuments({ userId: (await User.findOne({ email: owner.email }))!._id })).toBe(0);
  });

  test('an invalid edit re-renders the edit form with 422 and the typed values, and changes nothing', async () => {
    const owner = await newShopper(shop.app, 'editor');
    const id = await addProduct(owner, { title: 'Steady Chair', price: '40' });
    const response = await owner.agent
      .post('/admin/edit-product')
      .type('form')
      .send({
        _csrf: owner.csrf,
        productId: id,
        title: 'Wobbly Chair',
        price: '-1',
        description: 'Now wobbly.',
        imageUrl: '',
      })
      .expect(422);
    expect(response.text).toContain('value="Wobbly Chair"');
    expect(response.text).toContain('value="-1"');
    expect(response.text).toContain(`name="productId" value="${id}"`);
    expect(await Product.findById(id).lean()).toMatchObject({ title: 'Steady Chair', price: 40 });
  });

  test('a deleted product leaves every cart', async () => {
    const owner = await newShopper(shop.app, 'closing');
    const id = await addProduct(owner, { title: 'Last One', price: '5' });
    const buyer = await newShopper(shop.app, 'late');
    await addToCart(buyer, id).expect(302);
    await owner.agent.post('/admin/delete-product').type('form').send({ _csrf: owner.csrf, productId: id }).expect(302);
    expect(await cartOf(buyer)).toEqual([]);
  });
});
