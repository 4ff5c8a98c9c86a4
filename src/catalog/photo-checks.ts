import sharp, { type Metadata, type SharpOptions } from 'sharp';

/*
 * What an upload must be before its pixels are decoded, read from its first bytes and its header
 * only: a JPEG, PNG or WebP that is what it claims, within the limits of size, pixels and shape,
 * and one whose decoding holds a bounded amount of memory. product-images.service.ts then decodes
 * it, in the queue's turn.
 */

/** The largest upload taken: a phone's photo fits; the form says so. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/**
 * The most pixels decoded (a 48-megapixel phone photo is 8064 × 6048): past it an upload is refused
 * from its header, before any pixel is decoded, so a small file claiming huge dimensions (a
 * decompression bomb) costs nothing.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;
/**
 * What one decode may hold of a photo that cannot be decoded as a stream. libvips reads most
 * photos a few rows at a time (a JPEG at an eighth of its size while it loads): a 50-megapixel
 * PNG costs about 50 MB, a baseline JPEG about 25 MB. An interlaced PNG is decoded whole before
 * its first row comes out, and a progressive JPEG keeps all its coefficients: measured at 50
 * megapixels, 170 MB for an 8-bit interlaced PNG, 470 MB for a 16-bit RGBA one, 300 MB for a
 * progressive JPEG without chroma subsampling. Such a photo is taken only up to this.
 */
export const MAX_WHOLE_FRAME_BYTES = 96 * 1024 * 1024;

/*
 * An upload from a stranger: decoded with the pixel limit, at libvips's strictest (`failOn:
 * 'warning'`, sharp's advice for untrusted input: a truncated file is refused rather than padded
 * with grey), turned upright by its EXIF orientation. Nothing of the input's metadata (EXIF, GPS,
 * ICC, XMP) is written out: sharp keeps none unless asked (withMetadata), and none is asked for.
 */
export const UNTRUSTED_INPUT: SharpOptions = {
  limitInputPixels: MAX_IMAGE_PIXELS,
  failOn: 'warning',
  autoOrient: true,
};

/** What the seller sees under the photo field; the form is shown again with what they typed. */
export class ImageRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageRefusedError';
  }
}

type AcceptedFormat = 'jpeg' | 'png' | 'webp';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The format a file's first bytes announce, whatever its name or declared type: the magic numbers
 * of JPEG, PNG and WebP, the three taken. Anything else (SVG, HTML, GIF, TIFF, HEIC, a PDF) is
 * refused before sharp parses it, so no other decoder of libvips ever sees an upload.
 */
function announcedFormat(data: Buffer): AcceptedFormat | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 8 && data.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') {
    return 'webp';
  }
  return undefined;
}

const NOT_A_PHOTO = 'Choose a JPEG, PNG or WebP photo.';
const TOO_MANY_PIXELS = 'This photo has too many pixels: choose one of at most 50 megapixels.';
const TOO_NARROW = 'Choose a photo at most ten times as long as it is wide.';
const MAX_ASPECT_RATIO = 10;
/** A photo whose pixels could not be decoded, here or in the queue's turn. */
export const UNREADABLE_PHOTO = 'This photo could not be read (it may be damaged): choose another one.';
const TOO_LARGE_AS_SAVED =
  'This photo is saved as a progressive JPEG or an interlaced PNG, which is too large to read at this size: ' +
  'save it as a standard JPEG or PNG, or with fewer pixels.';

/**
 * The bytes the decoder of an interlaced PNG or a progressive JPEG holds at once: every sample
 * (1 or 2 bytes), or every DCT coefficient (2 bytes a sample; libvips reports 4:2:2 as "4:2:0",
 * hence 2 samples a pixel for subsampled YCbCr, not 1.5). 0 for the photos decoded as a stream.
 */
function wholeFrameBytes({
  format,
  isProgressive,
  width,
  height,
  channels,
  depth,
  chromaSubsampling,
}: Metadata): number {
  if (!isProgressive) return 0;
  if (format === 'png') return width * height * channels * (depth === 'ushort' ? 2 : 1);
  if (format === 'jpeg') return width * height * 2 * (channels === 3 && chromaSubsampling === '4:2:0' ? 2 : channels);
  return 0;
}

/** libvips's refusal of an input past `limitInputPixels`, before it decodes any pixel. */
function isPixelLimit(error: unknown): boolean {
  return error instanceof Error && error.message.includes('pixel limit');
}

/**
 * Checks an upload from its first bytes and its header, decoding no pixel; its upright size.
 * Throws ImageRefusedError for anything that is not a JPEG, PNG or WebP within the limits.
 */
export async function checkPhoto(data: Buffer): Promise<{ width: number; height: number }> {
  if (data.length > MAX_IMAGE_BYTES) throw new ImageRefusedError('Choose a photo of at most 5 MB.');
  const format = announcedFormat(data);
  if (!format) throw new ImageRefusedError(NOT_A_PHOTO);
  let metadata: Metadata;
  try {
    metadata = await sharp(data, UNTRUSTED_INPUT).metadata();
  } catch (error) {
    throw new ImageRefusedError(isPixelLimit(error) ? TOO_MANY_PIXELS : UNREADABLE_PHOTO);
  }
  // The decoder libvips picked must be the one the first bytes announced.
  if (metadata.format !== format) throw new ImageRefusedError(NOT_A_PHOTO);
  if (metadata.width * metadata.height > MAX_IMAGE_PIXELS) throw new ImageRefusedError(TOO_MANY_PIXELS);
  if (wholeFrameBytes(metadata) > MAX_WHOLE_FRAME_BYTES) throw new ImageRefusedError(TOO_LARGE_AS_SAVED);
  const { width, height } = metadata.autoOrient;
  // A sliver (10 × 20000) would outgrow WebP's 16383 pixels at any width, and is no product photo.
  if (Math.max(width, height) > MAX_ASPECT_RATIO * Math.min(width, height)) throw new ImageRefusedError(TOO_NARROW);
  return { width, height };
}
