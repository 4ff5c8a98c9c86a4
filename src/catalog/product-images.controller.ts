import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { parseObjectId } from '../http/object-id';
import { notFound } from '../http/http-error';
import { IMAGE_WIDTHS, type ProductImages } from './product-images.service';

/** A stored file never changes at its address (a new photo is a new image id). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const WIDEST = IMAGE_WIDTHS[IMAGE_WIDTHS.length - 1];

/** `:width`: a whole number of pixels from 1 to the widest kept, written plainly (no `0400`, `4e2`, `400.0`). */
function widthOf(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^[1-9]\d{0,3}$/.test(value)) return undefined;
  const width = Number(value);
  return width <= WIDEST ? width : undefined;
}

function isClientGone(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

export interface ProductImagesControllerOptions {
  images: ProductImages;
}

/** The product photos' files, from GridFS, for every shop process alike. */
export function createProductImagesController({ images }: ProductImagesControllerOptions) {
  /**
   * One stored width of a photo: an unknown image or width, or a malformed address, is the 404
   * page. Browsers keep it for a year; one that asks again with its ETag gets a 304.
   */
  async function getImage(req: Request, res: Response): Promise<void> {
    const imageId = parseObjectId(req.params.imageId);
    const width = widthOf(req.params.width);
    const file = imageId && width !== undefined ? await images.file(imageId, width) : undefined;
    if (!file) throw notFound();
    res.set({
      'Content-Type': file.contentType,
      'Cache-Control': IMMUTABLE,
      ETag: file.etag,
      // helmet says it too; said here as well, since this route's whole point is bytes of a declared type.
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.set('Content-Length', String(file.length));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    try {
      await pipeline(images.open(file), res);
    } catch (error) {
      // A browser that leaves mid-image (a page closed) is no error of the shop's.
      if (!isClientGone(error)) throw error;
    }
  }

  return { getImage };
}

export type ProductImagesController = ReturnType<typeof createProductImagesController>;
