import { LRUCache } from 'lru-cache';
import { Types, type UpdateQuery } from 'mongoose';
import type { Clock } from '../platform/clock';
import { pageCountFor } from '../http/pagination';
import { AccountGoneError } from '../accounts/account-gone';
import type { UserModel } from '../accounts/user.schema';
import { Product, type IProduct, type ProductImage, type ProductRecord } from './product.model';
import { ProductImages } from './product-images.service';

/** Products per page on the index and the product list: two or three full rows of cards. */
export const PRODUCTS_PER_PAGE = 6;
/** A seller's own products per page: twice the shop's, since their cards are all the page holds. */
export const SELLER_PRODUCTS_PER_PAGE = 12;

/** How a product list is ordered: newest first (the default), or by price. */
export type ProductSort = 'newest' | 'price-asc' | 'price-desc';
export const PRODUCT_SORTS: readonly ProductSort[] = ['newest', 'price-asc', 'price-desc'];

/** Which products a list page shows: the search's words (all must match), the order, the page. */
export interface ProductListQuery {
  words: string[];
  sort: ProductSort;
  page: number;
}

const SORT_SPECS: Record<ProductSort, Record<string, 1 | -1>> = {
  newest: { _id: -1 },
  // _id breaks ties, so that pages of equal prices neither repeat nor skip a product.
  'price-asc': { price: 1, _id: 1 },
  'price-desc': { price: -1, _id: -1 },
};

/** What a seller writes of a product. */
export type ProductFields = Pick<IProduct, 'title' | 'price' | 'description' | 'imageUrl'>;

/**
 * What another area does once products are deleted (the cart: they leave every cart), given to
 * the catalog so that it writes no collection but its own. It may run more than once for a product.
 */
export type ProductsDeletedHook = (productIds: Types.ObjectId[]) => Promise<void>;

/** What an edit does to the product's uploaded photo (an upload's bytes, as sent); none: it stays. */
export type PhotoChange = { upload: Buffer } | { remove: true };

export interface CatalogPage {
  /** At most `perPage` products, newest first. */
  products: ProductRecord[];
  /** How many pages the whole list has now (at least 1). */
  pageCount: number;
}

export interface CatalogOptions {
  /**
   * Whether a seller still has an account (the User model, src/user.model.ts, read only): a
   * product written for a seller deleted meanwhile is undone.
   */
  users: Pick<UserModel, 'exists'>;
  /** Run, in order, once products are deleted (hooks.ts of the cart); none: a catalog that only reads. */
  onProductsDeleted?: ProductsDeletedHook[];
  perPage: number;
  /** How long a read may be reused; 0 reads the database every time. */
  cacheMs: number;
  /** Tests pass a controllable clock. */
  now?: Clock;
  /** The photos' files; by default a ProductImages of the catalog's own. */
  images?: ProductImages;
}

/**
 * The catalog: the shop window every visitor sees alike, and the writes of the sellers who keep
 * their own products in it. Every write goes through here, with its rules: a seller changes only
 * their own products, a deleted product leaves every cart, and this process's cache hears of it.
 *
 * The shop window's product pages and product details:
 * They are the most viewed data in the shop and the same for everyone, so each read is kept for
 * `cacheMs` (a second by default): under load a page costs the database one count and one find
 * per second instead of per view, and concurrent views of a page missing from the cache wait for
 * the same read (lru-cache's `fetch`). Changes made through this process show on the next view; changes made by another process show within `cacheMs`. Carts and orders never read
 * from here: their prices and titles always come from the database.
 *
 * The cached records are shared by every request that reads them: callers must not change them.
 */
export class Catalog {
  private readonly users: CatalogOptions['users'];
  private readonly onProductsDeleted: ProductsDeletedHook[];
  private readonly perPage: number;
  private readonly images: ProductImages;
  // The key says which generation; the context (page number, product id) says what to read.
  private readonly pages?: LRUCache<string, CatalogPage, ProductListQuery>;
  private readonly products?: LRUCache<string, ProductRecord, Types.ObjectId>;
  /**
   * Part of every key. A change moves to new keys instead of clearing the caches: clearing would
   * abort the reads in flight and fail their requests. The old entries are never asked for again
   * and make way as the caches fill (`max`).
   */
  private generation = 0;

  constructor({ users, onProductsDeleted = [], perPage, cacheMs, now, images }: CatalogOptions) {
    this.users = users;
    this.onProductsDeleted = onProductsDeleted;
    this.perPage = perPage;
    this.images = images ?? new ProductImages();
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

  /**
   * One page of a product list (a search's, or all products) and its page count; a page past the
   * end comes back empty. Any query may be asked for: the cache holds at most `max` pages, least
   * recently used first out.
   */
  async page(query: ProductListQuery): Promise<CatalogPage> {
    if (!this.pages) return this.readPage(query);
    const key = `${this.generation}:${query.sort}:${query.page}:${query.words.join(' ')}`;
    return (await this.pages.fetch(key, { context: query }))!;
  }

  async product(productId: Types.ObjectId): Promise<ProductRecord | undefined> {
    if (!this.products) return this.readProduct(productId);
    return this.products.fetch(`${this.generation}:${productId.toHexString()}`, { context: productId });
  }

  /** One page of a seller's own products, newest first; read afresh, never from the cache. */
  async sellerPage(sellerId: Types.ObjectId, page: number): Promise<CatalogPage> {
    const own = { userId: sellerId };
    const pageCount = pageCountFor(await Product.countDocuments(own), SELLER_PRODUCTS_PER_PAGE);
    if (page > pageCount) return { products: [], pageCount };
    const products = await Product.find(own)
      .sort({ _id: -1 })
      .skip((page - 1) * SELLER_PRODUCTS_PER_PAGE)
      .limit(SELLER_PRODUCTS_PER_PAGE)
      .lean<ProductRecord[]>();
    return { products, pageCount };
  }

  /** One of the seller's own products; someone else's is not found, like a missing one. */
  async sellerProduct(sellerId: Types.ObjectId, productId: Types.ObjectId): Promise<ProductRecord | undefined> {
    return (await Product.findOne({ _id: productId, userId: sellerId }).lean<ProductRecord>()) ?? undefined;
  }

  /**
   * Adds a product. A photo (an upload's bytes) is checked and re-encoded first (ImageRefusedError
   * when it is no photo), and its files stored before the product: a product never names files
   * that are not there, and files whose product could not be saved are deleted at once.
   *
   * The seller may be deleting their account on another device: once the product is written, the
   * seller must still exist, else the product is deleted again (with its photo, out of any cart)
   * and AccountGoneError thrown. The account's deletion deletes the User first and the seller's
   * products after, so a product this check finds its seller for is removed by that clean-up.
   */
  async createProduct(sellerId: Types.ObjectId, fields: ProductFields, photo?: Buffer): Promise<void> {
    const productId = new Types.ObjectId();
    const image = photo && (await this.images.save(productId, await this.images.prepare(photo)));
    try {
      await Product.create({ _id: productId, ...fields, image, userId: sellerId });
    } catch (error) {
      if (image) await this.images.remove([image]).catch(() => undefined);
      throw error;
    }
    this.changed();
    if (!(await this.users.exists({ _id: sellerId }))) {
      await this.deleteProduct(sellerId, productId);
      throw new AccountGoneError();
    }
  }

  /**
   * Changes one of the seller's own products; false when they have no such product. A new photo
   * is checked and stored as on creation; the photo replaced or removed has its files deleted,
   * once the product no longer names them. Two edits at once each delete the photo they replaced.
   * No product because the seller's account was deleted meanwhile: AccountGoneError.
   */
  async updateProduct(
    sellerId: Types.ObjectId,
    productId: Types.ObjectId,
    fields: ProductFields,
    photo?: PhotoChange,
  ): Promise<boolean> {
    let image: ProductImage | undefined;
    if (photo && 'upload' in photo) {
      // Someone else's product is not worth a photo's work, nor its files.
      if (!(await Product.exists({ _id: productId, userId: sellerId }))) return this.sellerStillThere(sellerId);
      image = await this.images.save(productId, await this.images.prepare(photo.upload));
    }
    const update: UpdateQuery<IProduct> = image
      ? { $set: { ...fields, image } }
      : photo
        ? { $set: fields, $unset: { image: 1 } }
        : { $set: fields };
    let before: { image?: ProductImage | null } | null;
    try {
      // The document as it was: the photo it named is the one to delete.
      before = await Product.findOneAndUpdate({ _id: productId, userId: sellerId }, update, {
        projection: { image: 1 },
      }).lean<{ image?: ProductImage | null }>();
    } catch (error) {
      if (image) await this.images.remove([image]).catch(() => undefined);
      throw error;
    }
    if (!before) {
      if (image) await this.images.remove([image]);
      return this.sellerStillThere(sellerId);
    }
    this.changed();
    if (photo && before.image) await this.images.remove([before.image]);
    return true;
  }

  /** Deletes one of the seller's own products, its photo's files, and takes it out of every cart; false when there is none. */
  async deleteProduct(sellerId: Types.ObjectId, productId: Types.ObjectId): Promise<boolean> {
    const deleted = await Product.findOneAndDelete(
      { _id: productId, userId: sellerId },
      { projection: { image: 1 } },
    ).lean<{ image?: ProductImage | null }>();
    if (!deleted) return false;
    this.changed();
    // No one can order a deleted product: it leaves every cart.
    await this.productsDeleted([productId]);
    if (deleted.image) await this.images.remove([deleted.image]);
    return true;
  }

  /**
   * A seller who leaves (their User already deleted) takes their products and their photos' files
   * out of the shop, and out of every cart. One product at a time, each delete returning the photo
   * it named at that instant: an edit racing it cannot leave the files of a new photo behind.
   */
  async removeSeller(sellerId: Types.ObjectId): Promise<void> {
    const productIds: Types.ObjectId[] = [];
    const images: ProductImage[] = [];
    for (;;) {
      const deleted = await Product.findOneAndDelete({ userId: sellerId }, { projection: { image: 1 } }).lean<{
        _id: Types.ObjectId;
        image?: ProductImage | null;
      }>();
      if (!deleted) break;
      productIds.push(deleted._id);
      if (deleted.image) images.push(deleted.image);
    }
    if (productIds.length === 0) return;
    this.changed();
    await this.productsDeleted(productIds);
    await this.images.remove(images);
  }

  /** False (no such product of theirs) while the seller exists; AccountGoneError once they are gone. */
  private async sellerStillThere(sellerId: Types.ObjectId): Promise<false> {
    if (!(await this.users.exists({ _id: sellerId }))) throw new AccountGoneError();
    return false;
  }

  private async productsDeleted(productIds: Types.ObjectId[]): Promise<void> {
    for (const hook of this.onProductsDeleted) await hook(productIds);
  }

  /** After a change: this process's next views read afresh. */
  private changed(): void {
    this.generation += 1;
  }

  private async readPage({ words, sort, page }: ProductListQuery): Promise<CatalogPage> {
    // Every word must match one of the product's keywords (search.ts): an index serves it.
    const filter = words.length > 0 ? { keywords: { $all: words } } : {};
    // Without a search, the collection's own count: no scan, and no filter to apply.
    const total = words.length > 0 ? await Product.countDocuments(filter) : await Product.estimatedDocumentCount();
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
    return (await Product.findById(productId).lean<ProductRecord>()) ?? undefined;
  }
}
