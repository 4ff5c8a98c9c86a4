import { MAX_MESSAGE_DEPTH, depthOverflow } from './limits';
import { encodesAsInt32 } from './numbers';
import { assertSafePath } from './safe-keys';

/** The document holds an int64, which bson's default promotion turns into a JS number. */
export const HAS_INT64 = 1;
/** The document holds a double such as 5.0, which a JS number would write back as an int32. */
export const HAS_INTEGRAL_DOUBLE = 2;
/** The document holds a Decimal128. */
export const HAS_DECIMAL128 = 4;
/** Documents with either need `promoteValues: false` to keep their numbers' types (numbers.ts). */
export const NEEDS_EXACT_DECODING = HAS_INT64 | HAS_INTEGRAL_DOUBLE;

/**
 * A pass over a BSON document's raw bytes, before bson turns it into objects, with no recursion:
 * refuses documents nested deeper than mongod's maxBSONDepth (everything after it — Decimal128
 * adoption, copies, mingo — recurses by depth) and field names that reach into JavaScript's
 * prototypes. Malformed bytes are left for bson's deserialize to report.
 *
 * Returns the HAS_* flags of the numbers it met. With `checks` false (the engine's own files, whose
 * documents passed the checks when they were stored) it only reports them and never throws.
 */
export function scanDocument(buffer: Buffer, start: number, size: number, checks = true): number {
  let flags = 0;
  // The offset of each open document's terminating zero byte, innermost last.
  const ends: number[] = [start + size - 1];
  let offset = start + 4;
  while (ends.length > 0) {
    const end = ends[ends.length - 1];
    if (offset >= end) {
      ends.pop();
      offset = end + 1;
      continue;
    }
    const type = buffer[offset];
    const nameEnd = buffer.indexOf(0, offset + 1);
    if (nameEnd < 0 || nameEnd >= end) return flags;
    if (checks) checkFieldName(buffer, offset + 1, nameEnd);
    offset = nameEnd + 1;
    if (type === EMBEDDED_DOCUMENT || type === ARRAY) {
      const length = readLength(buffer, offset, end);
      if (length === undefined) return flags;
      if (checks && ends.length >= MAX_MESSAGE_DEPTH) throw depthOverflow(MAX_MESSAGE_DEPTH);
      ends.push(offset + length - 1);
      offset += 4;
      continue;
    }
    if (type === DOUBLE) {
      if (offset + 8 <= end && encodesAsInt32(buffer.readDoubleLE(offset))) flags |= HAS_INTEGRAL_DOUBLE;
    } else if (type === INT64) flags |= HAS_INT64;
    else if (type === DECIMAL128) flags |= HAS_DECIMAL128;
    const length = valueLength(buffer, type, offset, end);
    if (length === undefined) return flags;
    offset += length;
  }
  return flags;
}

const DOUBLE = 0x01;
const INT64 = 0x12;
const DECIMAL128 = 0x13;

const EMBEDDED_DOCUMENT = 0x03;
const ARRAY = 0x04;
const CODE_WITH_SCOPE = 0x0f;

/** Bytes of the values whose size depends only on their type. */
const FIXED_SIZES = new Map<number, number>([
  [0x01, 8], // double
  [0x06, 0], // undefined
  [0x07, 12], // ObjectId
  [0x08, 1], // boolean
  [0x09, 8], // date
  [0x0a, 0], // null
  [0x10, 4], // int32
  [0x11, 8], // timestamp
  [0x12, 8], // int64
  [0x13, 16], // Decimal128
  [0xff, 0], // MinKey
  [0x7f, 0], // MaxKey
]);
/** Values that are an int32 length and that many bytes (+ a subtype byte for binary, + an ObjectId for DBPointer). */
const LENGTH_PREFIXED = new Map<number, number>([
  [0x02, 4], // string
  [0x05, 5], // binary
  [0x0c, 16], // DBPointer
  [0x0d, 4], // JavaScript code
  [0x0e, 4], // symbol
]);

function valueLength(buffer: Buffer, type: number, offset: number, end: number): number | undefined {
  const fixed = FIXED_SIZES.get(type);
  if (fixed !== undefined) return fixed;
  const extra = LENGTH_PREFIXED.get(type);
  if (extra !== undefined) {
    const length = readLength(buffer, offset, end);
    return length === undefined ? undefined : length + extra;
  }
  if (type === CODE_WITH_SCOPE) return readLength(buffer, offset, end);
  if (type === 0x0b) return regexLength(buffer, offset, end);
  return undefined;
}

function readLength(buffer: Buffer, offset: number, end: number): number | undefined {
  if (offset + 4 > end) return undefined;
  const length = buffer.readInt32LE(offset);
  return length >= 0 && offset + length <= end + 1 ? length : undefined;
}

/** A regular expression: two C strings, the pattern and its flags. */
function regexLength(buffer: Buffer, offset: number, end: number): number | undefined {
  const patternEnd = buffer.indexOf(0, offset);
  const flagsEnd = patternEnd < 0 ? -1 : buffer.indexOf(0, patternEnd + 1);
  return flagsEnd < 0 || flagsEnd >= end ? undefined : flagsEnd + 1 - offset;
}

/** The shortest unsafe name: anything shorter (every array index, most field names) is skipped unread. */
const SHORTEST_UNSAFE = 9;

function checkFieldName(buffer: Buffer, start: number, end: number): void {
  if (end - start < SHORTEST_UNSAFE) return;
  assertSafePath(buffer.toString('utf8', start, end));
}
