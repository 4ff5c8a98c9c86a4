import { Schema, Types, model, type HydratedDocument, type Model } from 'mongoose';

export interface IProduct {
  title: string;
  /** In the shop's currency, at most two decimals (validated at the form). */
  price: number;
  description: string;
  /** An http(s) URL or a path on this site; empty shows the placeholder image. */
  imageUrl: string;
  /** The shopper who created the product: only they may edit or delete it. */
  userId: Types.ObjectId;
}

/** A product as read with `lean()`: plain data, no document methods. */
export type ProductRecord = IProduct & { _id: Types.ObjectId };

export type ProductModel = Model<IProduct>;
export type ProductDocument = HydratedDocument<IProduct>;

const productSchema = new Schema<IProduct, ProductModel>(
  {
    title: { type: String, required: true, trim: true },
    price: { type: Number, required: true, min: 0.01 },
    description: { type: String, required: true, trim: true },
    imageUrl: { type: String, default: '', trim: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  },
  { timestamps: true },
);

export const Product = model<IProduct, ProductModel>('Product', productSchema);
