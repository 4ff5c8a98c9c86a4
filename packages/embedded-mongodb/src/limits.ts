import { calculateObjectSize, type Document } from 'bson';
import { CommandError } from './errors';

/**
 * The sizes past which the engine refuses input instead of growing, and MongoDB's answers for
 * them. The numbers are mongod's own where it has one, so code that works here works there.
 */

/** mongod's maxMessageSizeBytes: the largest message a client may send (and what hello advertises). */
export const MAX_MESSAGE_SIZE = 48_000_000;
/** mongod's maxBsonObjectSize: the largest document it stores or returns. */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
/** mongod's rule for cursor batches: documents until the next would pass 16 MiB. */
export const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE;
/** mongod's maxBSONDepth: how deeply any document in a message may nest. */
export const MAX_MESSAGE_DEPTH = 200;
/** mongod's depth limit for stored documents (the top-level document counts as one). */
export const MAX_STORED_DEPTH = 100;

/** What a caller of startEmbeddedMongo may tighten or loosen. */
export interface ConnectionLimits {
  /** The largest message a client may send; hello advertises 48,000,000 whatever this says. */
  maxMessageBytes: number;
  /** Bytes of unfinished messages held for all connections together. */
  maxBufferedBytes: number;
  /** Open connections; more are closed at once. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxMessageBytes: MAX_MESSAGE_SIZE,
  maxBufferedBytes: 256 * 1024 * 1024,
  maxConnections: 1000,
};

export const OVERFLOW = 15;
export const BSON_OBJECT_TOO_LARGE = 10334;

export function depthOverflow(limit: number): CommandError {
  return new CommandError(OVERFLOW, 'Overflow', `BSONObj exceeds maximum nested object depth: ${limit}`);
}

export function objectTooLarge(size: number): CommandError {
  return new CommandError(
    BSON_OBJECT_TOO_LARGE,
    'BSONObjectTooLarge',
    `BSONObj size: ${size} (0x${size.toString(16)}) is invalid. Size must be between 0 and ${MAX_BSON_OBJECT_SIZE}(16MB)`,
  );
}

/**
 * Refuses a document that mongod would not store: nested deeper than 100 levels or larger than
 * 16 MiB. The depth is measured without recursion first, so that measuring the size (bson
 * recurses) is safe.
 */
export function assertStorable(doc: Document): void {
  if (depthOf(doc) > MAX_STORED_DEPTH) throw depthOverflow(MAX_STORED_DEPTH);
  const size = calculateObjectSize(doc);
  if (size > MAX_BSON_OBJECT_SIZE) throw objectTooLarge(size);
}

/** Levels of documents and arrays, the value itself counting as one. */
function depthOf(root: Document): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_STORED_DEPTH) return deepest;
    for (const child of containerValues(value)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** The values inside a plain document or array; nothing for scalars and BSON values. */
function containerValues(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.filter(isContainer);
  if (!isContainer(value)) return [];
  return Object.values(value).filter(isContainer);
}

function isContainer(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  return !(value instanceof Date) && (value as { _bsontype?: unknown })._bsontype === undefined;
}
