import { LRUCache } from 'lru-cache';
import type { Types } from 'mongoose';
import { Product, type ProductRecord } from './product.model';
import { pageCountFor } from '../http/pagination';

export interface CatalogPage {
  /** At most `perPage` products, newest first. */
  products: ProductRecord[];
  /** How many pages the whole list has now (at least 1). */
  pageCount: number;
}

export interface CatalogOptions {
  perPage: number;
  /** How long a read may be reused; 0 reads the database every time. */
  cacheMs: number;
  /** Tests pass a controllable clock. */
  now?: () => number;
}

/**
 * The shop window: the product pages and product details that every visitor sees alike.
 *
 * They are the most viewed data in the shop and the same for everyone, so each read is kept for
 * `cacheMs` (a second by default): under load a page costs the database one count and one find
 * per second instead of per view, and concurrent views of a page missing from the cache wait for
 * the same read (lru-cache's `fetch`). Changes made through this process (`changed()`) show on the
 * next view; changes made by another process show within `cacheMs`. Carts and orders never read
 * from here: their prices and titles always come from the database.
 *
 * The cached records are shared by every request that reads them: callers must not change them.
 */
export class Catalog {
  private readonly perPage: number;
  // The key says which generation; the context (page number, product id) says what to read.
  private readonly pages?: LRUCache<string, CatalogPage, number>;
  private readonly products?: LRUCache<string, ProductRecord, Types.ObjectId>;
  /**
   * Part of every key. A change moves to new keys instead of clearing the caches: clearing would
   * abort the reads in flight and fail their requests. The old entries are never asked for again
   * and make way as the caches fill (`max`).
   */
  private generation = 0;

  constructor({ perPage, cacheMs, now }: CatalogOptions) {
    this.perPage = perPage;
    if (cacheMs === 0) return;
    // ttlResolution 0: the clock is read on every look-up (not a copy cached for a millisecond).
    const common = { ttl: cacheMs, ttlResolution: 0, perf: now ? { now } : undefined };
    this.pages = new LRUCache<string, CatalogPage, number>({
      ...common,
      max: 500,
      fetchMethod: (_key, _stale, { context: page }) => this.readPage(page),
    });
    this.products = new LRUCache<string, ProductRecord, Types.ObjectId>({
      ...common,
      max: 2_000,
      // undefined (no such product) is not kept: a product added elsewhere shows as soon as it exists.
      fetchMethod: (_key, _stale, { context: productId }) => this.readProduct(productId),
    });
  }

  /**
   * One page of products (1 = the newest) and the page count; a page past the end comes back empty.
   * Any page number may be asked for: the cache holds at most `max` pages, least recently used first out.
   */
  async page(page: number): Promise<CatalogPage> {
    if (!this.pages) return this.readPage(page);
    return (await this.pages.fetch(`${this.generation}:${page}`, { context: page }))!;
  }

  async product(productId: Types.ObjectId): Promise<ProductRecord | undefined> {
    if (!this.products) return this.readProduct(productId);
    return this.products.fetch(`${this.generation}:${productId.toHexString()}`, { context: productId });
  }

  /** Call after adding, changing or deleting a product: this process's next views read afresh. */
  changed(): void {
    this.generation += 1;
  }

  private async readPage(page: number): Promise<CatalogPage> {
    // The collection's own count: no scan, and no filter to apply.
    const pageCount = pageCountFor(await Product.estimatedDocumentCount(), this.perPage);
    // Past the end (?page=999999999) costs no find, and no skip that MongoDB would refuse.
    if (page > pageCount) return { products: [], pageCount };
    // _id grows with insertion time and is always indexed: a stable order for skip/limit.
    const products = await Product.find()
      .sort({ _id: -1 })
      .skip((page - 1) * this.perPage)
      .limit(this.perPage)
      .lean<ProductRecord[]>();
    return { products, pageCount };
  }

  private async readProduct(productId: Types.ObjectId): Promise<ProductRecord | undefined> {
    return (await Product.findById(productId).lean<ProductRecord>()) ?? undefined;
  }
}
