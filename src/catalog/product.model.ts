import { Schema, Types, model, type Model } from 'mongoose';
import { keywordsOf } from './search';

/**
 * An uploaded photo: one set of files in GridFS (product-images.service.ts), re-encoded at each of
 * `widths` (ascending); `width` × `height` is the largest one's size. A new upload is a new `id`.
 */
export interface ProductImage {
  id: Types.ObjectId;
  widths: number[];
  width: number;
  height: number;
}

export interface IProduct {
  title: string;
  /** In the shop's currency, at most two decimals (validated at the form). */
  price: number;
  description: string;
  /** An http(s) URL or a path on this site; empty shows the placeholder image. */
  imageUrl: string;
  /** The uploaded photo, if any: shown rather than `imageUrl`. */
  image?: ProductImage | null;
  /** The shopper who created the product: only they may edit or delete it. */
  userId: Types.ObjectId;
  /** The words (and prefixes) it is found by; kept by the hooks below, never read with it (search.ts). */
  keywords?: string[];
  /**
   * Units for sale: a whole number from 0 to MAX_STOCK, or absent for "not tracked" (always
   * available, as for made-to-order goods, and every product from before stock existed). Orders
   * take units with one conditional update per line (stock.ts); carts reserve none.
   */
  stock?: number | null;
  /** The orders being placed that took units of it (stock.ts): for a moment, or until a crash is cleaned up. */
  stockTakenBy?: StockMarker[];
  /** Cancelled orders whose units came back (stock.ts): each returns its units once. */
  restockedFor?: RestockMarker[];
  /** Hidden from the shop by an admin: out of lists, search, product pages and carts; still in orders. */
  hidden?: boolean;
}

/** Units an order being placed took: `quantity` of them, for the order `order`, at `at`. */
export interface StockMarker {
  order: Types.ObjectId;
  quantity: number;
  at: Date;
}

/** A cancelled order's units given back to the product, at `at`. */
export interface RestockMarker {
  order: Types.ObjectId;
  at: Date;
}

/** The most units a seller may say they have of a product. */
export const MAX_STOCK = 100_000;

/** "Only N left" from this many down. */
export const LOW_STOCK = 5;

/** Whether a product's units are counted (a number), or not tracked (absent). */
export function isTracked(product: Pick<IProduct, 'stock'>): product is { stock: number } {
  return typeof product.stock === 'number';
}

/** A product as read with `lean()`: plain data, no document methods. */
export type ProductRecord = IProduct & { _id: Types.ObjectId };

export type ProductModel = Model<IProduct>;

const productSchema = new Schema<IProduct, ProductModel>(
  {
    title: { type: String, required: true, trim: true },
    price: { type: Number, required: true, min: 0.01 },
    description: { type: String, required: true, trim: true },
    imageUrl: { type: String, default: '', trim: true },
    image: {
      type: new Schema<ProductImage>(
        {
          id: { type: Schema.Types.ObjectId, required: true },
          widths: { type: [Number], required: true },
          width: { type: Number, required: true },
          height: { type: Number, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    keywords: { type: [String], select: false, index: true },
    stock: { type: Number, min: 0, max: MAX_STOCK, required: false },
    // Never read with the product: only stock.ts asks for them.
    stockTakenBy: {
      type: [new Schema<StockMarker>({ order: Schema.Types.ObjectId, quantity: Number, at: Date }, { _id: false })],
      default: undefined,
      select: false,
    },
    restockedFor: {
      type: [new Schema<RestockMarker>({ order: Schema.Types.ObjectId, at: Date }, { _id: false })],
      default: undefined,
      select: false,
    },
    hidden: { type: Boolean, required: false },
  },
  { timestamps: true },
);

// The sort by price, on MongoDB: a page of the cheapest or dearest reads only that page.
productSchema.index({ price: 1, _id: 1 });
// Sparse: only the few products with a marker, or hidden, are in them (the housekeeping and the
// count of hidden products read them).
productSchema.index({ 'stockTakenBy.order': 1 }, { sparse: true });
productSchema.index({ 'restockedFor.order': 1 }, { sparse: true });
productSchema.index({ hidden: 1 }, { sparse: true });

// The keywords follow the title and the description, however a product is written.
productSchema.pre('save', function keepKeywords() {
  if (this.isModified('title') || this.isModified('description'))
    this.keywords = keywordsOf(this.title, this.description);
});
productSchema.pre('insertMany', function keepKeywords(docs: Partial<IProduct> | Array<Partial<IProduct>>) {
  for (const doc of Array.isArray(docs) ? docs : [docs])
    doc.keywords = keywordsOf(doc.title ?? '', doc.description ?? '');
});
productSchema.pre(['updateOne', 'updateMany', 'findOneAndUpdate'], function keepKeywords() {
  const update = this.getUpdate();
  const set = update && !Array.isArray(update) ? (update.$set as Partial<IProduct> | undefined) : undefined;
  // The catalog always changes both together; a change of one alone would leave the other unknown.
  if (set?.title !== undefined && set.description !== undefined) {
    this.setUpdate({ ...update, $set: { ...set, keywords: keywordsOf(set.title, set.description) } });
  }
});

export const Product = model<IProduct, ProductModel>('Product', productSchema);
