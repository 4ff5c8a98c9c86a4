import { Types } from 'mongoose';

/**
 * A 24-hex-digit ObjectId from untrusted input, or undefined.
 * `Types.ObjectId.isValid` alone also accepts any 12-character string, which would turn
 * "aaaaaaaaaaaa" in a URL into a real-looking id instead of a 404.
 */
export function parseObjectId(value: unknown): Types.ObjectId | undefined {
  if (typeof value !== 'string' || !/^[0-9a-f]{24}$/i.test(value)) return undefined;
  return new Types.ObjectId(value);
}
