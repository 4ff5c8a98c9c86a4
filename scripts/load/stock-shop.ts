/**
 * Before the load: a seller account adds the products the virtual shoppers will buy, through the
 * admin form like anyone else. Returns the ids the product list then shows.
 */
import { productIdsIn } from '../../tools/html';
import { expectStatus, ShopClient } from '../../tools/shop-client';

export async function stockShop(options: {
  baseUrl: string;
  runId: string;
  products: number;
  behindHttpsProxy?: boolean;
  ca?: string;
  insecure?: boolean;
}): Promise<string[]> {
  const seller = new ShopClient(options.baseUrl, {
    behindHttpsProxy: options.behindHttpsProxy,
    ca: options.ca,
    insecure: options.insecure,
  });
  const email = `load-seller-${options.runId}@example.com`;
  const password = 'load-test password';
  expectStatus(await seller.get('/signup'), 200, 'stocking the shop: GET /signup');
  expectStatus(
    await seller.postForm('/signup', { email, password, confirmPassword: password }),
    302,
    'stocking the shop: POST /signup',
  );
  expectStatus(await seller.get('/login'), 200, 'stocking the shop: GET /login');
  expectStatus(await seller.postForm('/login', { email, password }), 302, 'stocking the shop: POST /login');
  expectStatus(await seller.get('/admin/add-product'), 200, 'stocking the shop: GET /admin/add-product');
  for (let i = 1; i <= options.products; i++) {
    const fields = {
      title: `Load test product ${i} (${options.runId})`,
      price: (1 + ((i * 7) % 40) + i / 100).toFixed(2),
      description: 'Added by npm run load.',
      imageUrl: '',
    };
    expectStatus(
      await seller.postForm('/admin/add-product', fields),
      302,
      'stocking the shop: POST /admin/add-product',
    );
  }
  const ids = productIdsIn((await seller.get('/products')).body);
  if (ids.length === 0) throw new Error('the product list shows no products after stocking the shop');
  await seller.postForm('/logout');
  return ids;
}
