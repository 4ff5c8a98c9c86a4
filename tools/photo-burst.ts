/**
 * A burst of photo uploads against a running shop process, for scripts/photo-burst.ts (the figures)
 * and tests/reliability/photo-burst.test.ts (the bounds): several sellers, each within the hourly
 * photo limit, send the add-product form with a large flat PNG all at once, while a visitor keeps
 * asking for /products. What comes back: every upload's status, the shop process's peak and
 * resident memory (/proc), and the product list's latencies during the burst.
 *
 *   const shop = await startShopProcess({ NODE_ENV: 'production', TRUST_PROXY: '1', ... });
 *   const result = await photoBurst({ baseUrl: shop.url, pid: shop.pid, photo: await flatPng() });
 */
import fs from 'node:fs';
import sharp from 'sharp';
import { HTTPS_PROXY_HEADERS, ShopClient, expectStatus } from './shop-client';

/** The red team's photo: 7,070 × 7,070 pixels (50 megapixels, just within the limit); theirs was 146 kB. */
export const BURST_PHOTO_SIDE = 7070;

/**
 * A PNG of `side` × `side` pixels of one colour: deflate's ratio tops out near 1,000 to 1, so its
 * 150 MB of RGB pixels make a file of about 160 kB, a bomb within every limit.
 */
export function flatPng(side = BURST_PHOTO_SIDE): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 3, background: '#c8a060' } })
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
}

export interface PhotoBurstOptions {
  /** The shop process, spoken to directly, behind one trusted proxy hop (TRUST_PROXY=1). */
  baseUrl: string;
  /** Its process id, for its memory in /proc. */
  pid: number;
  photo: Buffer;
  /** Sellers; 5 by default. */
  sellers?: number;
  /** Uploads in all, spread evenly over the sellers; 140 by default. */
  uploads?: number;
  /** A unique word for the sellers' addresses. */
  runId?: string;
}

export interface UploadOutcome {
  status: number;
  /** Its Retry-After header, if any. */
  retryAfter?: string;
  /** Where a 3xx sent the seller. */
  location?: string;
  /** The start of a page that was neither a redirect nor a 503. */
  body?: string;
  ms: number;
}

export interface PhotoBurstResult {
  uploads: UploadOutcome[];
  /** How many uploads answered each status. */
  statusCounts: Record<number, number>;
  /** VmRSS before the burst, in bytes. */
  rssBefore: number;
  /** VmHWM after the burst: the process's peak resident memory since it started, in bytes. */
  peak: number;
  /** VmRSS just after the burst, and after `settleMs` more. */
  rssAfter: number;
  rssSettled: number;
  /** /products from a visitor, one request after another, while the uploads were under way (ms). */
  productsDuring: number[];
  /** /products before the burst, idle (ms). */
  productsIdle: number[];
  /** The burst's duration, from the first upload sent to the last answered (ms). */
  burstMs: number;
}

/** A field of /proc/PID/status, in bytes. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** A seller signed up and logged in, on the add-product page: its cookie and form token. */
interface Seller {
  cookie: string;
  csrf: string;
}

async function signUpSeller(baseUrl: string, email: string): Promise<Seller> {
  const client = new ShopClient(baseUrl, { behindHttpsProxy: true });
  const password = 'photo burst password';
  try {
    expectStatus(await client.get('/signup'), 200, 'GET /signup');
    expectStatus(await client.postForm('/signup', { email, password, confirmPassword: password }), 302, 'signup');
    expectStatus(await client.get('/login'), 200, 'GET /login');
    expectStatus(await client.postForm('/login', { email, password }), 302, 'login');
    expectStatus(await client.get('/admin/add-product'), 200, 'GET /admin/add-product');
    return { cookie: client.cookieHeader(), csrf: client.csrfToken ?? '' };
  } finally {
    client.close();
  }
}

/** The add-product form as a browser sends it: the text fields, then the photo. */
async function upload(baseUrl: string, seller: Seller, photo: Buffer, title: string): Promise<UploadOutcome> {
  const form = new FormData();
  form.append('_csrf', seller.csrf);
  form.append('title', title);
  form.append('imageUrl', '');
  form.append('price', '12.50');
  form.append('description', 'A large, flat photo.');
  form.append('image', new Blob([photo], { type: 'image/png' }), 'flat.png');
  const started = performance.now();
  try {
    const response = await fetch(new URL('/admin/add-product', baseUrl), {
      method: 'POST',
      body: form,
      redirect: 'manual',
      headers: { ...HTTPS_PROXY_HEADERS, cookie: seller.cookie },
      signal: AbortSignal.timeout(300_000),
    });
    const text = await response.text();
    const outcome: UploadOutcome = { status: response.status, ms: performance.now() - started };
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter !== null) outcome.retryAfter = retryAfter;
    const location = response.headers.get('location');
    if (location !== null) outcome.location = location;
    if (response.status !== 302 && response.status !== 503) outcome.body = text.slice(0, 2000);
    return outcome;
  } catch (error) {
    // A connection the shop dropped: no status at all.
    return { status: 0, body: String(error), ms: performance.now() - started };
  }
}

/** Asks for /products one request at a time until `until` settles; the latencies in ms. */
async function probeProducts(baseUrl: string, until: Promise<unknown>): Promise<number[]> {
  const visitor = new ShopClient(baseUrl, { behindHttpsProxy: true });
  const latencies: number[] = [];
  let done = false;
  void until.finally(() => {
    done = true;
  });
  try {
    while (!done) {
      const reply = await visitor.get('/products');
      expectStatus(reply, 200, 'GET /products during the burst');
      latencies.push(reply.ms);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    visitor.close();
  }
  return latencies;
}

export async function photoBurst(options: PhotoBurstOptions): Promise<PhotoBurstResult> {
  const sellerCount = options.sellers ?? 5;
  const uploadCount = options.uploads ?? 140;
  const runId = options.runId ?? Date.now().toString(36);
  const sellers: Seller[] = [];
  for (let i = 0; i < sellerCount; i++) {
    sellers.push(await signUpSeller(options.baseUrl, `burst-${runId}-${i}@example.com`));
  }

  const idle = new ShopClient(options.baseUrl, { behindHttpsProxy: true });
  const productsIdle: number[] = [];
  try {
    for (let i = 0; i < 5; i++) productsIdle.push((await idle.get('/products')).ms);
  } finally {
    idle.close();
  }

  const rssBefore = procStatusBytes(options.pid, 'VmRSS');
  const started = performance.now();
  const burst = Promise.all(
    Array.from({ length: uploadCount }, (_, i) =>
      upload(options.baseUrl, sellers[i % sellerCount], options.photo, `Burst photo ${i + 1}`),
    ),
  );
  const [uploads, productsDuring] = await Promise.all([burst, probeProducts(options.baseUrl, burst)]);
  const burstMs = performance.now() - started;
  const peak = procStatusBytes(options.pid, 'VmHWM');
  const rssAfter = procStatusBytes(options.pid, 'VmRSS');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const rssSettled = procStatusBytes(options.pid, 'VmRSS');

  const statusCounts: Record<number, number> = {};
  for (const { status } of uploads) statusCounts[status] = (statusCounts[status] ?? 0) + 1;
  return { uploads, statusCounts, rssBefore, peak, rssAfter, rssSettled, productsDuring, productsIdle, burstMs };
}

/** The median and the largest of some latencies. */
export function medianAndMax(values: readonly number[]): { median: number; max: number } {
  if (values.length === 0) return { median: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, max: sorted[sorted.length - 1] };
}
