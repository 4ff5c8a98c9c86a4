import mongoose from 'mongoose';
import request, { type Response } from 'supertest';
import { Order } from '../../src/cart/order.model';
import { SHOP_ADDRESS, SHOP_NAME } from '../../src/http/view-helpers';
import {
  TEST_ADDRESS,
  addProduct,
  newShopper,
  placeOrder,
  startTestShop,
  type Shopper,
  type TestShop,
} from '../helpers/shop';
import { pdfTextLines } from '../helpers/pdf-text';

let shop: TestShop;
let buyer: Shopper;
let orderId: string;
let orderNumber: number;

beforeAll(async () => {
  shop = await startTestShop('invoice');
  const seller = await newShopper(shop.app, 'seller');
  const teaId = await addProduct(seller, { title: 'Green Tea', price: '4.10' });
  const cupId = await addProduct(seller, { title: 'Tea Cup', price: '0.20' });
  buyer = await newShopper(shop.app, 'buyer');
  for (const productId of [teaId, teaId, cupId]) {
    await buyer.agent.post('/cart').type('form').send({ _csrf: buyer.csrf, productId }).expect(302);
  }
  orderId = await placeOrder(buyer);
  const order = await Order.findById(orderId).lean();
  orderNumber = order!.number!;
});

afterAll(async () => {
  await shop.close();
});

function invoiceOf(agent: Shopper['agent'], id: string) {
  // responseType: the body as a Buffer, whatever its type.
  return agent.get(`/orders/${id}/invoice`).responseType('blob');
}

test('the shopper who placed the order downloads its invoice as a PDF', async () => {
  const response: Response = await invoiceOf(buyer.agent, orderId).expect(200);
  expect(response.headers['content-type']).toBe('application/pdf');
  // The content-disposition package quotes the name only when it has to.
  expect(response.headers['content-disposition']).toMatch(
    new RegExp(`^attachment; filename="?invoice-${orderNumber}\\.pdf"?$`),
  );
  expect(response.headers['cache-control']).toBe('no-store');
  const pdf = response.body as Buffer;
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');

  const lines = pdfTextLines(pdf);
  expect(lines).toContain('Session Shop');
  // The numbers the shopper knows, never the raw id.
  expect(lines).toContain(`Invoice number: INV-${orderNumber}`);
  expect(lines).toContain(`Order: ${orderNumber}`);
  expect(lines.join('\n')).not.toContain(orderId);
  expect(lines).toContain(`Customer: ${buyer.email}`);
  expect(lines).toContain('Payment: Pay on delivery');
  expect(lines.find((line) => line.startsWith('Date: '))).toMatch(/^Date: \w{3} \d{1,2}, \d{4}, .* UTC$/);
  // The seller (the shop's name and the address its footer shows) and where the order went.
  const after = (heading: string, count: number) =>
    lines.slice(lines.indexOf(heading) + 1, lines.indexOf(heading) + 1 + count);
  const sellerAddress = SHOP_ADDRESS.split(', ');
  expect(after('Seller', 1 + sellerAddress.length)).toEqual([SHOP_NAME, ...sellerAddress]);
  expect(after('Ship to', 4)).toEqual([
    TEST_ADDRESS.name,
    TEST_ADDRESS.street,
    `${TEST_ADDRESS.postcode} ${TEST_ADDRESS.city}`,
    'United Kingdom',
  ]);
  const row = (title: string) => lines.slice(lines.indexOf(title), lines.indexOf(title) + 4);
  expect(row('Green Tea')).toEqual(['Green Tea', '2', '$4.10', '$8.20']);
  expect(row('Tea Cup')).toEqual(['Tea Cup', '1', '$0.20', '$0.20']);
  expect(lines.slice(-2)).toEqual(['Total', '$8.40']);
});

test('the orders page links each order to its invoice', async () => {
  const page = await buyer.agent.get('/orders').expect(200);
  expect(page.text).toContain(
    `<a class="btn btn--secondary" href="/orders/${orderId}/invoice" download>Download invoice`,
  );
});

test("another shopper gets a 404 for someone else's invoice, as for an unknown or malformed id", async () => {
  const other = await newShopper(shop.app, 'other');
  for (const id of [orderId, new mongoose.Types.ObjectId().toHexString(), 'not-an-id', 'aaaaaaaaaaaa', '%7B%24gt%7D']) {
    const response = await other.agent.get(`/orders/${id}/invoice`);
    expect({ id, status: response.status }).toEqual({ id, status: 404 });
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.text).toContain('Page not found');
  }
  // The owner's own unknown ids are 404s as well.
  await buyer.agent.get(`/orders/${new mongoose.Types.ObjectId().toHexString()}/invoice`).expect(404);
});

test('an anonymous visitor is sent to log in first, and comes back to the invoice after', async () => {
  await request(shop.app)
    .get(`/orders/${orderId}/invoice`)
    .expect(302)
    .expect('Location', `/login?returnTo=${encodeURIComponent(`/orders/${orderId}/invoice`)}`);
});
