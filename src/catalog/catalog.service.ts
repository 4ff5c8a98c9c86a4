import { Types, type UpdateQuery } from 'mongoose';
import type { Clock } from '../platform/clock';
import { pageCountFor } from '../http/pagination';
import { AccountGoneError } from '../accounts/account-gone';
import type { UserModel } from '../accounts/user.schema';
import { Product, type IProduct, type ProductImage, type ProductRecord } from './product.model';
import { ProductImages } from './product-images.service';
import { ShopWindow, type CatalogPage, type ProductListQuery } from './shop-window';

export { PRODUCT_SORTS, type CatalogPage, type ProductListQuery, type ProductSort } from './shop-window';

/** Products per page on the index and the product list: two or three full rows of cards. */
export const PRODUCTS_PER_PAGE = 6;
/** A seller's own products per page: twice the shop's, since their cards are all the page holds. */
export const SELLER_PRODUCTS_PER_PAGE = 12;

/**
 * What a seller writes of a product. `stock`: a number of units, null for "not tracked", or left
 * out (an edit from a form without the field keeps what the product has).
 */
export type ProductFields = Pick<IProduct, 'title' | 'price' | 'description' | 'imageUrl'> & {
  stock?: number | null;
};

/**
 * What another area does once products are deleted (the cart: they leave every cart), given to
 * the catalog so that it writes no collection but its own. It may run more than once for a product.
 */
export type ProductsDeletedHook = (productIds: Types.ObjectId[]) => Promise<void>;

/** What an edit does to the product's uploaded photo (an upload's bytes, as sent); none: it stays. */
export type PhotoChange = { upload: Buffer } | { remove: true };

export interface CatalogOptions {
  /**
   * Whether a seller still has an account (the User model, src/user.model.ts, read only): a
   * product written for a seller deleted meanwhile is undone.
   */
  users: Pick<UserModel, 'exists'>;
  /** Run, in order, once products are deleted (hooks.ts of the cart); none: a catalog that only reads. */
  onProductsDeleted?: ProductsDeletedHook[];
  /** Run, in order, once a product is hidden (it leaves every cart, like a deleted one). */
  onProductsHidden?: ProductsDeletedHook[];
  perPage: number;
  /** How long a read may be reused; 0 reads the database every time. */
  cacheMs: number;
  /** Tests pass a controllable clock. */
  now?: Clock;
  /** The photos' files; by default a ProductImages of the catalog's own. */
  images?: ProductImages;
}

/**
 * The catalog: the shop window every visitor sees alike (shop-window.ts, through a short cache),
 * and the writes of the sellers who keep their own products in it and of the admins who hide
 * them. Every write goes through here, with its rules: a seller changes only their own products,
 * a deleted or hidden product leaves every cart, and this process's cache hears of it. Units of
 * stock are written by stock.ts, for the orders.
 */
export class Catalog {
  private readonly users: CatalogOptions['users'];
  private readonly onProductsDeleted: ProductsDeletedHook[];
  private readonly onProductsHidden: ProductsDeletedHook[];
  private readonly images: ProductImages;
  private readonly window: ShopWindow;

  constructor({ users, onProductsDeleted = [], onProductsHidden = [], perPage, cacheMs, now, images }: CatalogOptions) {
    this.users = users;
    this.onProductsDeleted = onProductsDeleted;
    this.onProductsHidden = onProductsHidden;
    this.images = images ?? new ProductImages();
    this.window = new ShopWindow({ perPage, cacheMs, now });
  }

  /**
   * One page of a product list (a search's, or all products) and its page count; a page past the
   * end comes back empty. Hidden products are never in it.
   */
  page(query: ProductListQuery): Promise<CatalogPage> {
    return this.window.page(query);
  }

  /** A product of the shop window (a hidden one is not found), through the cache. */
  product(productId: Types.ObjectId): Promise<ProductRecord | undefined> {
    return this.window.product(productId);
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
      await Product.create({ _id: productId, ...withStock(fields), image, userId: sellerId });
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
    const { stock, ...shown } = fields;
    // A number sets the units; null stops counting them; left out, they stay as they are.
    const set = typeof stock === 'number' ? { ...shown, stock } : shown;
    const unset = {
      ...(stock === null ? { stock: 1 as const } : {}),
      ...(photo && !image ? { image: 1 as const } : {}),
    };
    const update: UpdateQuery<IProduct> = {
      $set: image ? { ...set, image } : set,
      ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
    };
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

  /**
   * An admin hides a product from the shop (`hidden`: true) or shows it again: it leaves lists,
   * search, its page and every cart (the cart's hook), and stays in orders and invoices. False when
   * there is no such product; the product's title otherwise.
   */
  async setHidden(productId: Types.ObjectId, hidden: boolean): Promise<string | undefined> {
    const changed = await Product.findOneAndUpdate(
      { _id: productId },
      hidden ? { $set: { hidden: true } } : { $unset: { hidden: 1 } },
      { projection: { title: 1 } },
    ).lean<{ title: string }>();
    if (!changed) return undefined;
    this.changed();
    if (hidden) for (const hook of this.onProductsHidden) await hook([productId]);
    return changed.title;
  }

  /** One page of the hidden products, newest first, for an admin to show again. */
  async hiddenPage(page: number): Promise<CatalogPage> {
    const pageCount = pageCountFor(await Product.countDocuments({ hidden: true }), SELLER_PRODUCTS_PER_PAGE);
    if (page > pageCount) return { products: [], pageCount };
    const products = await Product.find({ hidden: true })
      .sort({ _id: -1 })
      .skip((page - 1) * SELLER_PRODUCTS_PER_PAGE)
      .limit(SELLER_PRODUCTS_PER_PAGE)
      .lean<ProductRecord[]>();
    return { products, pageCount };
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
    this.window.changed();
  }
}

/** A new product's fields: its units when counted, no field at all when not. */
function withStock({ stock, ...fields }: ProductFields): Omit<ProductFields, 'stock'> & { stock?: number } {
  return typeof stock === 'number' ? { ...fields, stock } : fields;
}
