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
  },
  { timestamps: true },
);

// The sort by price, on MongoDB: a page of the cheapest or dearest reads only that page.
productSchema.index({ price: 1, _id: 1 });

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
