/**
 * Before the load: a seller account adds the products the virtual shoppers will buy, through the
 * admin form like anyone else. Returns the ids the product list then shows.
 */
import { ShopClient, type ShopReply } from '../lib/shop-client';
import { productIdsIn } from './virtual-shopper';

export async function stockShop(options: {
  baseUrl: string;
  runId: string;
  products: number;
  headers?: Record<string, string>;
}): Promise<string[]> {
  const seller = new ShopClient(options.baseUrl, { headers: options.headers });
  const email = `load-seller-${options.runId}@example.com`;
  const password = 'load-test password';
  expectStatus('GET /signup', await seller.get('/signup'), 200);
  expectStatus('POST /signup', await seller.postForm('/signup', { email, password, confirmPassword: password }), 302);
  expectStatus('GET /login', await seller.get('/login'), 200);
  expectStatus('POST /login', await seller.postForm('/login', { email, password }), 302);
  expectStatus('GET /admin/add-product', await seller.get('/admin/add-product'), 200);
  for (let i = 1; i <= options.products; i++) {
    const fields = {
      title: `Load test product ${i} (${options.runId})`,
      price: (1 + ((i * 7) % 40) + i / 100).toFixed(2),
      description: 'Added by npm run load.',
      imageUrl: '',
    };
    expectStatus('POST /admin/add-product', await seller.postForm('/admin/add-product', fields), 302);
  }
  const ids = productIdsIn((await seller.get('/products')).body);
  if (ids.length === 0) throw new Error('the product list shows no products after stocking the shop');
  await seller.postForm('/logout');
  return ids;
}

function expectStatus(label: string, reply: ShopReply, status: number): void {
  if (reply.status !== status) {
    throw new Error(
      `stocking the shop: ${label} answered ${reply.status}, not ${status}${reply.location ? ` (to ${reply.location})` : ''}`,
    );
  }
}
