import mongoose from 'mongoose';
import { SELLER_PRODUCTS_PER_PAGE as ADMIN_PRODUCTS_PER_PAGE } from '../../src/catalog/catalog.service';
import { Product } from '../../src/catalog/product.model';
import { User } from '../../src/user.model';
import { newShopper, startTestShop, type Shopper, type TestShop } from '../helpers/shop';

// A seller's own list is paginated like the shop's: with thousands of large products a page still
// reads one page of them, so no reply grows with what a seller has written.

let shop: TestShop;
let seller: Shopper;

/** As many as 1,900 add-product posts of about 10 kB each would make: over 16 MiB in all. */
const PRODUCT_COUNT = 2500;
const DESCRIPTION = 'A very long description. '.repeat(400);

function titleOf(n: number): string {
  return `Seller product ${String(n).padStart(4, '0')}`;
}

function titlesOn(html: string): string[] {
  return [...html.matchAll(/<h2 class="card__title">([^<]+)<\/h2>/g)].map(([, title]) => title);
}

beforeAll(async () => {
  shop = await startTestShop('admin-products');
  seller = await newShopper(shop.app, 'seller');
  const user = await User.findOne({ email: seller.email }).orFail();
  // Written in order, so that a higher number has a later _id: the newest comes first.
  for (let start = 1; start <= PRODUCT_COUNT; start += 500) {
    const batch = [];
    for (let n = start; n < start + 500; n++) {
      batch.push({
        _id: new mongoose.Types.ObjectId(),
        title: titleOf(n),
        price: 1,
        description: DESCRIPTION,
        userId: user._id,
      });
    }
    await Product.insertMany(batch);
  }
}, 120_000);

afterAll(async () => {
  await shop.close();
});

test('a seller with thousands of large products gets the newest page of them', async () => {
  const page1 = await seller.agent.get('/admin/products').expect(200);
  expect(titlesOn(page1.text)).toEqual(
    Array.from({ length: ADMIN_PRODUCTS_PER_PAGE }, (_, i) => titleOf(PRODUCT_COUNT - i)),
  );
  const pageCount = Math.ceil(PRODUCT_COUNT / ADMIN_PRODUCTS_PER_PAGE);
  expect(page1.text).toContain(`Page 1 of ${pageCount}`);
  expect(page1.text).toContain('<a class="pagination__step" href="/admin/products?page=2" rel="next">Next</a>');
});

test('the last page holds the oldest products, and a page past it redirects there', async () => {
  const pageCount = Math.ceil(PRODUCT_COUNT / ADMIN_PRODUCTS_PER_PAGE);
  const last = await seller.agent.get(`/admin/products?page=${pageCount}`).expect(200);
  const onLast = PRODUCT_COUNT - (pageCount - 1) * ADMIN_PRODUCTS_PER_PAGE;
  expect(titlesOn(last.text)).toEqual(Array.from({ length: onLast }, (_, i) => titleOf(onLast - i)));
  await seller.agent
    .get(`/admin/products?page=${pageCount + 5}`)
    .expect(302)
    .expect('Location', `/admin/products?page=${pageCount}`);
  await seller.agent.get('/admin/products?page=abc').expect(404);
});

test('the database keeps serving every page after it', async () => {
  await seller.agent.get('/admin/products').expect(200);
  await seller.agent.get('/products').expect(200);
  await seller.agent.get('/cart').expect(200);
});

test('another seller sees none of them', async () => {
  const other = await newShopper(shop.app, 'other-seller');
  const page = await other.agent.get('/admin/products').expect(200);
  expect(titlesOn(page.text)).toEqual([]);
  expect(page.text).toContain('You have no products yet.');
  expect(page.text).not.toContain('class="pagination"');
});
