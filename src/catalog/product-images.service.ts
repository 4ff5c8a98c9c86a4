import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, MongoRuntimeError, type Db, type GridFSBucketReadStream, type ObjectId } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import sharp from 'sharp';
import { Product, type ProductImage } from './product.model';
import { PhotoQueue } from './photo-queue';
import { ImageRefusedError, UNREADABLE_PHOTO, UNTRUSTED_INPUT, checkPhoto } from './photo-checks';

/**
 * The widths kept of every photo, never wider than it is: a card at 1x (cards are at most ~360 CSS
 * pixels wide), a card at 2x or the product page at 1x, the product page at 2x.
 */
export const IMAGE_WIDTHS: readonly number[] = [400, 800, 1200];
/** The GridFS bucket: `productImages.files` and `productImages.chunks`, in the shop's own database. */
export const IMAGES_BUCKET = 'productImages';
/** Where a stored width of a photo is served (product-images.routes.ts). */
export const IMAGES_PATH = '/product-images';

const CONTENT_TYPE = 'image/webp';
const WEBP_QUALITY = 80;

// Every upload is a new image: libvips's operation cache would only hold memory.
sharp.cache(false);
// One thread per photo: the photos worked on at once are the queue's to bound (PhotoQueue), and
// sharp would otherwise use every core for each one wherever MALLOC_ARENA_MAX is set.
sharp.concurrency(1);

/** One width of a photo, re-encoded. */
export interface ImageVersion {
  width: number;
  height: number;
  data: Buffer;
}

/** A photo checked and re-encoded at each of its widths (ascending), not stored yet. */
export interface PreparedImage {
  versions: ImageVersion[];
}

/** One stored width of a photo, as the image route serves it. */
export interface StoredImageFile {
  fileId: ObjectId;
  length: number;
  contentType: string;
  /** Strong: a stored file never changes (a new photo is a new image id). */
  etag: string;
}

/** The GridFS file name of one width of an image: its look-up key (GridFS indexes `filename`). */
function fileName(imageId: Types.ObjectId, width: number): string {
  return `${imageId.toHexString()}/${width}`;
}

/** The address of one stored width of a photo. */
export function imagePath(imageId: Types.ObjectId, width: number): string {
  return `${IMAGES_PATH}/${imageId.toHexString()}/${width}`;
}

/** The widths to keep of a photo `width` pixels wide: the standard ones below it, then its own (at most the largest). */
export function widthsFor(width: number): number[] {
  const widest = Math.min(width, IMAGE_WIDTHS[IMAGE_WIDTHS.length - 1]);
  return [...IMAGE_WIDTHS.filter((candidate) => candidate < widest), widest];
}

/** A file of the bucket as `removeOrphans` reads it. */
interface FileOwner {
  _id: ObjectId;
  metadata?: { imageId?: unknown; productId?: unknown };
}

/**
 * Product photos: checking and re-encoding an upload, and its files in MongoDB's GridFS, next to
 * the data, so that every shop process serves every photo. The catalog (catalog.service.ts) decides
 * when a photo is stored or removed; this service does the work.
 */
export class ProductImages {
  private current?: { db: Db; bucket: GridFSBucket };
  /** Where every decode waits its turn; by default one at a time, unbounded (the demo data's seeding). */
  readonly queue: PhotoQueue;

  constructor(options: { queue?: PhotoQueue } = {}) {
    this.queue = options.queue ?? new PhotoQueue({ concurrency: 1, queue: Infinity });
  }

  /**
   * Checks an upload by its content and re-encodes it as WebP at each width, upright and without
   * any of its metadata. Throws ImageRefusedError for anything that is not a whole JPEG, PNG or
   * WebP within the limits, PhotosBusyError when the queue is full; stores nothing.
   */
  async prepare(data: Buffer): Promise<PreparedImage> {
    const { width } = await checkPhoto(data);
    const widths = widthsFor(width);
    // Only the header has been read so far; the pixels are decoded in the queue's turn.
    return this.queue.run(() => this.encode(data, widths));
  }

  /** Decodes a checked upload once and encodes each width from those pixels. */
  private async encode(data: Buffer, widths: readonly number[]): Promise<PreparedImage> {
    try {
      // Decoded once, at the largest width kept (a JPEG shrinks while it loads), a few rows at a
      // time (sharp reads sequentially); each width is made from those pixels, where a clone() of
      // one pipeline per width would decode the file again for each. The whole file is decoded
      // here, so a truncated one fails here.
      const { data: pixels, info } = await sharp(data, UNTRUSTED_INPUT)
        .resize({ width: widths[widths.length - 1], withoutEnlargement: true })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const raw = { width: info.width, height: info.height, channels: info.channels };
      const versions: ImageVersion[] = [];
      // One at a time: a photo's three encodings share the shop's two cores with every other request.
      for (const versionWidth of widths) {
        const { data: encoded, info: out } = await sharp(pixels, { raw })
          .resize({ width: versionWidth, withoutEnlargement: true })
          .webp({ quality: WEBP_QUALITY })
          .toBuffer({ resolveWithObject: true });
        versions.push({ width: out.width, height: out.height, data: encoded });
      }
      return { versions };
    } catch {
      throw new ImageRefusedError(UNREADABLE_PHOTO);
    }
  }

  /** Stores a prepared photo of a product: one GridFS file per width. All of them, or none. */
  async save(productId: Types.ObjectId, prepared: PreparedImage): Promise<ProductImage> {
    const bucket = this.bucket();
    const imageId = new Types.ObjectId();
    const written: ObjectId[] = [];
    try {
      for (const { width, height, data } of prepared.versions) {
        const upload = bucket.openUploadStream(fileName(imageId, width), {
          metadata: { imageId, productId, width, height, contentType: CONTENT_TYPE },
        });
        written.push(upload.id);
        await pipeline(Readable.from([data]), upload);
      }
    } catch (error) {
      await this.deleteFiles(written).catch(() => undefined);
      throw error;
    }
    const largest = prepared.versions[prepared.versions.length - 1];
    return {
      id: imageId,
      widths: prepared.versions.map((version) => version.width),
      width: largest.width,
      height: largest.height,
    };
  }

  /** Deletes the files of these photos (those already gone are skipped). */
  async remove(images: readonly ProductImage[]): Promise<void> {
    if (images.length === 0) return;
    const names = images.flatMap((image) => image.widths.map((width) => fileName(image.id, width)));
    const files = await this.bucket()
      .find({ filename: { $in: names } }, { projection: { _id: 1 } })
      .toArray();
    await this.deleteFiles(files.map((file) => file._id));
  }

  /**
   * Deletes the files uploaded before `uploadedBefore` that no product names: those of a process
   * that stopped between storing a photo and saving its product, or between replacing a photo and
   * deleting the old one. Files younger than that may belong to a save still under way. Returns
   * how many files it deleted. It reads every file's document (small: no chunk is read), so it runs
   * once at start-up (server.ts), not per request.
   */
  async removeOrphans(uploadedBefore: Date): Promise<number> {
    const files = this.bucket().find(
      { uploadDate: { $lt: uploadedBefore } },
      { projection: { _id: 1, metadata: 1 }, batchSize: 1000 },
    );
    let removed = 0;
    let batch: FileOwner[] = [];
    const sweep = async (): Promise<void> => {
      const productIds = [
        ...new Set(
          batch.flatMap((file) =>
            file.metadata?.productId instanceof Types.ObjectId ? [file.metadata.productId.toHexString()] : [],
          ),
        ),
      ].map((id) => new Types.ObjectId(id));
      // By _id: the one index every collection has.
      const products = await Product.find({ _id: { $in: productIds } })
        .select({ image: 1 })
        .lean<{ _id: Types.ObjectId; image?: ProductImage | null }[]>();
      const named = new Set(products.flatMap((product) => (product.image ? [product.image.id.toHexString()] : [])));
      const orphans = batch.filter((file) => {
        const imageId = file.metadata?.imageId;
        return !(imageId instanceof Types.ObjectId && named.has(imageId.toHexString()));
      });
      await this.deleteFiles(orphans.map((file) => file._id));
      removed += orphans.length;
      batch = [];
    };
    for await (const file of files) {
      batch.push(file as FileOwner);
      if (batch.length === 1000) await sweep();
    }
    if (batch.length > 0) await sweep();
    return removed;
  }

  /** One width of a photo, or undefined when there is no such image or width. */
  async file(imageId: Types.ObjectId, width: number): Promise<StoredImageFile | undefined> {
    const file = await this.bucket()
      .find({ filename: fileName(imageId, width) }, { limit: 1 })
      .next();
    if (!file) return undefined;
    const contentType: unknown = file.metadata?.contentType;
    return {
      fileId: file._id,
      length: file.length,
      contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
      etag: `"${imageId.toHexString()}-${width}"`,
    };
  }

  /** The bytes of a stored file. */
  open(file: StoredImageFile): GridFSBucketReadStream {
    return this.bucket().openDownloadStream(file.fileId);
  }

  private async deleteFiles(fileIds: readonly ObjectId[]): Promise<void> {
    const bucket = this.bucket();
    for (const fileId of fileIds) {
      try {
        await bucket.delete(fileId);
      } catch (error) {
        // Deleted meanwhile (another process removing the same photo): nothing left to do.
        if (!(error instanceof MongoRuntimeError && error.message.startsWith('File not found'))) throw error;
      }
    }
  }

  /** The bucket on mongoose's connection (its pool and its database), made once per connection. */
  private bucket(): GridFSBucket {
    const db = mongoose.connection.db;
    if (!db) throw new Error('the database is not connected');
    if (this.current?.db !== db) this.current = { db, bucket: new GridFSBucket(db, { bucketName: IMAGES_BUCKET }) };
    return this.current.bucket;
  }
}
