/**
 * Before the load: a seller account adds the products the virtual shoppers will buy, through the
 * admin form like anyone else, some of them with few units so that they run out during the run.
 * Returns the ids the product list then shows, and the units each counted product started with.
 */
import { ownProductsIn, productIdsIn } from '../../tools/html';
import { expectStatus, ShopClient } from '../../tools/shop-client';

/**
 * The stock of the product added `rank`-th from last (1: the newest, first on the product list the
 * shoppers buy from): the newest few enough to run out during a run, then plenty, two not counted.
 */
export function stockOfProduct(rank: number): number | undefined {
  const stocks = [5, 20, 60, 1000, undefined, undefined];
  return rank <= stocks.length ? stocks[rank - 1] : 1000;
}

export interface StockedShop {
  productIds: string[];
  /** The units each counted product started with, by product id. */
  initialStock: Map<string, number>;
}

export async function stockShop(options: {
  baseUrl: string;
  runId: string;
  products: number;
  behindHttpsProxy?: boolean;
  ca?: string;
  insecure?: boolean;
}): Promise<StockedShop> {
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
  const stockByTitle = new Map<string, number>();
  for (let i = 1; i <= options.products; i++) {
    const title = `Load test product ${i} ${options.runId}`;
    const stock = stockOfProduct(options.products - i + 1);
    if (stock !== undefined) stockByTitle.set(title, stock);
    const fields = {
      title,
      price: (1 + ((i * 7) % 40) + i / 100).toFixed(2),
      description: 'Added by npm run load.',
      imageUrl: '',
      stock: stock === undefined ? '' : String(stock),
    };
    expectStatus(
      await seller.postForm('/admin/add-product', fields),
      302,
      'stocking the shop: POST /admin/add-product',
    );
  }
  const ids = productIdsIn((await seller.get('/products')).body);
  if (ids.length === 0) throw new Error('the product list shows no products after stocking the shop');
  const own = ownProductsIn((await seller.get('/admin/products')).body);
  const initialStock = new Map<string, number>();
  for (const [title, stock] of stockByTitle) {
    const id = own.get(title);
    if (id === undefined) throw new Error(`"${title}" is not among the seller's products after stocking the shop`);
    initialStock.set(id, stock);
  }
  await seller.postForm('/logout');
  return { productIds: ids, initialStock };
}
