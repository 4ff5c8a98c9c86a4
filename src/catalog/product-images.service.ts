import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, MongoRuntimeError, type Db, type GridFSBucketReadStream, type ObjectId } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import sharp, { type Metadata, type SharpOptions } from 'sharp';
import type { ProductImage } from './product.model';

/** The largest upload taken: a phone's photo fits; the form says so. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** The widths kept of every photo, never wider than it is: a card, twice that, and the product page. */
export const IMAGE_WIDTHS: readonly number[] = [400, 800, 1200];
/**
 * The most pixels decoded (a 48-megapixel phone photo is 8064 × 6048): past it an upload is refused
 * before any pixel is decoded, so a small file with huge dimensions (a decompression bomb) costs nothing.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** GridFS bucket: `images.files` and `images.chunks`, in the shop's own database. */
export const IMAGES_BUCKET = 'images';

const CONTENT_TYPE = 'image/webp';
const WEBP_QUALITY = 80;

/* An upload from a stranger: decoded once per width with the pixel limit, at libvips's strictest
 * (`failOn: 'warning'`, sharp's advice for untrusted input: a truncated file is refused). Nothing
 * of the input's metadata (EXIF, GPS, ICC, XMP) is written out: sharp keeps none unless asked. */
const UNTRUSTED_INPUT: SharpOptions = { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'warning', autoOrient: true };

// Every upload is a new image: libvips's operation cache would only hold memory.
sharp.cache(false);

/** What the seller sees under the photo field; the form is shown again with what they typed. */
export class ImageRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageRefusedError';
  }
}

type AcceptedFormat = 'jpeg' | 'png' | 'webp';

/**
 * The format a file's first bytes announce, whatever its name or declared type: the magic numbers
 * of JPEG, PNG and WebP, the three taken. Anything else (SVG, GIF, HEIC, text, an executable) is
 * refused before sharp parses it, so no other decoder of libvips ever sees an upload.
 */
function announcedFormat(data: Buffer): AcceptedFormat | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'png';
  }
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') {
    return 'webp';
  }
  return undefined;
}

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

/** One stored version, as the image route serves it. */
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

/** The widths to keep of a photo `width` pixels wide: the standard ones below it, then its own (at most the largest). */
export function widthsFor(width: number): number[] {
  const widest = Math.min(width, IMAGE_WIDTHS[IMAGE_WIDTHS.length - 1]);
  return [...IMAGE_WIDTHS.filter((candidate) => candidate < widest), widest];
}

const TOO_MANY_PIXELS = 'This photo has too many pixels: choose one of at most 50 megapixels.';

/** libvips's refusal of an input past `limitInputPixels`, before it decodes any pixel. */
function isPixelLimit(error: unknown): boolean {
  return error instanceof Error && error.message.includes('pixel limit');
}

/**
 * Product photos: checking and re-encoding an upload, and its files in MongoDB's GridFS, next to
 * the data, so that every shop process serves every photo. The catalog (catalog.service.ts) decides
 * when a photo is stored or removed; this service does the work.
 */
export class ProductImages {
  private current?: { db: Db; bucket: GridFSBucket };

  /**
   * Checks an upload by its content and re-encodes it as WebP at each width, turned upright by its
   * EXIF orientation and without any of its metadata. Throws ImageRefusedError for anything that is
   * not a whole JPEG, PNG or WebP within the limits; never stores anything.
   */
  async prepare(data: Buffer): Promise<PreparedImage> {
    if (data.length > MAX_IMAGE_BYTES) throw new ImageRefusedError('Choose a photo of at most 5 MB.');
    const format = announcedFormat(data);
    if (!format) throw new ImageRefusedError('Choose a JPEG, PNG or WebP photo.');
    let metadata: Metadata;
    try {
      metadata = await sharp(data, UNTRUSTED_INPUT).metadata();
    } catch (error) {
      throw new ImageRefusedError(isPixelLimit(error) ? TOO_MANY_PIXELS : 'This photo could not be read: choose another one.');
    }
    // The decoder libvips picked must be the one the first bytes announced.
    if (metadata.format !== format) throw new ImageRefusedError('Choose a JPEG, PNG or WebP photo.');
    if (metadata.width * metadata.height > MAX_IMAGE_PIXELS) throw new ImageRefusedError(TOO_MANY_PIXELS);
    const versions: ImageVersion[] = [];
    try {
      // One at a time: a second decode in parallel would double the memory a large upload takes.
      for (const width of widthsFor(metadata.autoOrient.width)) {
        const { data: encoded, info } = await sharp(data, UNTRUSTED_INPUT)
          .resize({ width, withoutEnlargement: true })
          .webp({ quality: WEBP_QUALITY })
          .toBuffer({ resolveWithObject: true });
        versions.push({ width: info.width, height: info.height, data: encoded });
      }
    } catch {
      throw new ImageRefusedError('This photo could not be read: it may be damaged. Choose another one.');
    }
    return { versions };
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
      etag: `"${fileName(imageId, width).replace('/', '-')}"`,
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
