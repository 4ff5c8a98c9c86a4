import { ShopClient } from '../../tools/shop-client';
import { startShopProcess, type ShopProcess } from '../../tools/processes';
import { flatPng, medianAndMax, photoBurst } from '../../tools/photo-burst';
import { PRODUCTION_PROCESS_ENV } from '../../tools/stack';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';
import { TEST_SECRET } from '../helpers/shop';

/*
 * The red team's photo bomb (issue 21, item 4): 140 uploads at once, from five sellers each within
 * the hourly photo limit, of a 7,070 × 7,070 PNG of about 160 kB. A shop process in production mode
 * must decode a bounded number of them at once, answer the rest 503 with Retry-After (never a 500),
 * stay under 400 MB of resident memory at its peak, and keep serving its pages.
 * scripts/photo-burst.ts prints the same figures (docs/reliability.md).
 */

jest.setTimeout(300_000);

const MB = 1024 * 1024;

let shop: ShopProcess | undefined;
const dbName = uniqueDbName('photo_burst');

afterAll(async () => {
  await shop?.stop('SIGTERM', 15_000);
  await dropDatabase(dbName);
});

test('140 parallel uploads of a 50-megapixel PNG: bounded decoding, 503 with Retry-After beyond it, under 400 MB', async () => {
  const url = new URL(testServerUri());
  url.pathname = `/${dbName}`;
  shop = await startShopProcess({
    // As the image and npm run stack start it (glibc's malloc settings included).
    ...PRODUCTION_PROCESS_ENV,
    NODE_ENV: 'production',
    MONGODB_URI: url.toString(),
    SESSION_SECRET: TEST_SECRET,
    // The test speaks to the process as nginx would: X-Forwarded-Proto: https from one trusted hop.
    TRUST_PROXY: '1',
    BCRYPT_ROUNDS: '4',
    LOG_LEVEL: 'warn',
  });
  const result = await photoBurst({ baseUrl: shop.url, pid: shop.pid, photo: await flatPng() });
  const during = medianAndMax(result.productsDuring);
  console.log(
    `photo burst: ${JSON.stringify(result.statusCounts)}, peak (VmHWM) ${(result.peak / MB).toFixed(0)} MB, ` +
      `/products during the burst median ${during.median.toFixed(0)} ms, max ${during.max.toFixed(0)} ms`,
  );

  // Nothing failed: every upload was either taken (302 to the seller's list) or refused for now (503).
  expect(result.uploads.filter(({ status }) => status !== 302 && status !== 503)).toEqual([]);
  const taken = result.uploads.filter(({ status }) => status === 302);
  const refused = result.uploads.filter(({ status }) => status === 503);
  expect(taken.length).toBeGreaterThanOrEqual(2);
  expect(refused.length).toBeGreaterThan(0);
  for (const { location } of taken) expect(location).toBe('/admin/products');
  for (const { retryAfter } of refused) expect(Number(retryAfter)).toBeGreaterThan(0);

  expect(result.peak).toBeLessThan(400 * MB);

  // The shop still serves its pages, and the photos it took are on sale.
  const visitor = new ShopClient(shop.url, { behindHttpsProxy: true });
  try {
    const products = await visitor.get('/products');
    expect(products.status).toBe(200);
    expect(products.body).toContain('Burst photo');
  } finally {
    visitor.close();
  }
});
