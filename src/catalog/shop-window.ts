import { LRUCache } from 'lru-cache';
import type { Types } from 'mongoose';
import type { Clock } from '../platform/clock';
import { pageCountFor } from '../http/pagination';
import { Product, type ProductRecord } from './product.model';

/** How a product list is ordered: newest first (the default), or by price. */
export type ProductSort = 'newest' | 'price-asc' | 'price-desc';
export const PRODUCT_SORTS: readonly ProductSort[] = ['newest', 'price-asc', 'price-desc'];

/** Which products a list page shows: the search's words (all must match), the order, the page. */
export interface ProductListQuery {
  words: string[];
  sort: ProductSort;
  page: number;
}

export interface CatalogPage {
  /** At most `perPage` products, newest first. */
  products: ProductRecord[];
  /** How many pages the whole list has now (at least 1). */
  pageCount: number;
}

const SORT_SPECS: Record<ProductSort, Record<string, 1 | -1>> = {
  newest: { _id: -1 },
  // _id breaks ties, so that pages of equal prices neither repeat nor skip a product.
  'price-asc': { price: 1, _id: 1 },
  'price-desc': { price: -1, _id: -1 },
};

/** What the shop window shows: never a hidden product. */
const SHOWN = { hidden: { $ne: true } };

export interface ShopWindowOptions {
  perPage: number;
  /** How long a read may be reused; 0 reads the database every time. */
  cacheMs: number;
  /** Tests pass a controllable clock. */
  now?: Clock;
}

/**
 * The shop window's product pages and product details (the catalog's reads for everyone):
 * They are the most viewed data in the shop and the same for everyone, so each read is kept for
 * `cacheMs` (a second by default): under load a page costs the database two counts and one find
 * per second instead of per view, and concurrent views of a page missing from the cache wait for
 * the same read (lru-cache's `fetch`). Changes made through this process show on the next view;
 * changes made by another process, and the units orders take, show within `cacheMs`. Carts and
 * orders never read from here: their prices, titles and stock always come from the database.
 *
 * The cached records are shared by every request that reads them: callers must not change them.
 */
export class ShopWindow {
  private readonly perPage: number;
  // The key says which generation; the context (page number, product id) says what to read.
  private readonly pages?: LRUCache<string, CatalogPage, ProductListQuery>;
  private readonly products?: LRUCache<string, ProductRecord, Types.ObjectId>;
  /**
   * Part of every key. A change moves to new keys instead of clearing the caches: clearing would
   * abort the reads in flight and fail their requests. The old entries are never asked for again
   * and make way as the caches fill (`max`).
   */
  private generation = 0;

  constructor({ perPage, cacheMs, now }: ShopWindowOptions) {
    this.perPage = perPage;
    if (cacheMs === 0) return;
    // ttlResolution 0: the clock is read on every look-up (not a copy cached for a millisecond).
    const common = { ttl: cacheMs, ttlResolution: 0, perf: now ? { now } : undefined };
    this.pages = new LRUCache<string, CatalogPage, ProductListQuery>({
      ...common,
      max: 500,
      fetchMethod: (_key, _stale, { context: query }) => this.readPage(query),
    });
    this.products = new LRUCache<string, ProductRecord, Types.ObjectId>({
      ...common,
      max: 2_000,
      // undefined (no such product) is not kept: a product added elsewhere shows as soon as it exists.
      fetchMethod: (_key, _stale, { context: productId }) => this.readProduct(productId),
    });
  }

  /** Any query may be asked for: the cache holds at most `max` pages, least recently used first out. */
  async page(query: ProductListQuery): Promise<CatalogPage> {
    if (!this.pages) return this.readPage(query);
    const key = `${this.generation}:${query.sort}:${query.page}:${query.words.join(' ')}`;
    return (await this.pages.fetch(key, { context: query }))!;
  }

  async product(productId: Types.ObjectId): Promise<ProductRecord | undefined> {
    if (!this.products) return this.readProduct(productId);
    return this.products.fetch(`${this.generation}:${productId.toHexString()}`, { context: productId });
  }

  /** After a change: this process's next views read afresh. */
  changed(): void {
    this.generation += 1;
  }

  private async readPage({ words, sort, page }: ProductListQuery): Promise<CatalogPage> {
    // Every word must match one of the product's keywords (search.ts): an index serves it.
    const filter = words.length > 0 ? { keywords: { $all: words }, ...SHOWN } : SHOWN;
    // Without a search, the collection's own count less the few hidden ones (a sparse index): no scan.
    const total =
      words.length > 0
        ? await Product.countDocuments(filter)
        : (await Product.estimatedDocumentCount()) - (await Product.countDocuments({ hidden: true }));
    const pageCount = pageCountFor(total, this.perPage);
    // Past the end (?page=999999999) costs no find, and no skip that MongoDB would refuse.
    if (page > pageCount) return { products: [], pageCount };
    // _id grows with insertion time and is always indexed: a stable order for skip/limit.
    const products = await Product.find(filter)
      .sort(SORT_SPECS[sort])
      .skip((page - 1) * this.perPage)
      .limit(this.perPage)
      .lean<ProductRecord[]>();
    return { products, pageCount };
  }

  private async readProduct(productId: Types.ObjectId): Promise<ProductRecord | undefined> {
    return (await Product.findOne({ _id: productId, ...SHOWN }).lean<ProductRecord>()) ?? undefined;
  }
}
