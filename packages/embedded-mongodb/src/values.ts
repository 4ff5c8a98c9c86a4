import { Decimal128, EJSON, Long, type Document } from 'bson';

/**
 * How the engine identifies and compares BSON values outside mingo: the keys of the `_id` index
 * and of secondary indexes, and Decimal128 ordering.
 */

/** `n` and the number's exact decimal digits when it is an integer (as an int64 prints), else its JS text. */
function numberKey(value: number): string {
  if (value === 0) return 'n0';
  if (
    Number.isInteger(value) &&
    (value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER) &&
    value < 1e21 &&
    value > -1e21
  ) {
    return `n${BigInt(value)}`;
  }
  return `n${value}`;
}

interface BsonValue {
  _bsontype: string;
}

function bsonType(value: object): string | undefined {
  return (value as Partial<BsonValue>)._bsontype;
}

/**
 * A string that is equal for two values exactly when MongoDB treats them as the same index key.
 * Numbers of any BSON type compare by value (1, 1.0 and Long(1) are one key), like MongoDB's, and
 * exactly: two int64s past 2^53 are two keys, an int64 and the double of the same value one.
 */
export function valueKey(value: unknown): string {
  if (value === undefined || value === null) return 'z';
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'number':
      return numberKey(value);
    case 'boolean':
      return value ? 'bt' : 'bf';
    case 'bigint':
      return `n${value}`;
    case 'object':
      break;
    default:
      return `x${String(value)}`;
  }
  if (value instanceof Date) return `d${value.getTime()}`;
  const type = bsonType(value);
  if (type === 'ObjectId') return `o${(value as { toHexString(): string }).toHexString()}`;
  if (type === 'Long') return `n${Long.prototype.toString.call(value)}`;
  if (type === 'Int32' || type === 'Double') return numberKey((value as { value: number }).value);
  if (type === 'Decimal128') return numberKey(Number(Decimal128.prototype.toString.call(value)));
  // Objects, arrays and the rarer BSON types: their canonical Extended JSON (field order matters, as in MongoDB).
  return `x${EJSON.stringify(value as Document, { relaxed: false })}`;
}

/**
 * A value that an index key, and an equality test by `valueKey`, identify exactly: a string,
 * number, boolean, Date, ObjectId or numeric BSON type. Not null (which also matches a missing
 * field), arrays, sub-documents or the rarer BSON types.
 */
export function isScalar(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value !== 'object') return typeof value !== 'function';
  if (value instanceof Date) return true;
  const type = (value as { _bsontype?: string })._bsontype;
  return type === 'ObjectId' || type === 'Long' || type === 'Int32' || type === 'Double';
}

/** Reads a dotted path; arrays along the way yield every element's value (MongoDB's multikey rule). */
export function valuesAtPath(doc: Document, path: string): unknown[] {
  const parts = path.split('.');
  const out: unknown[] = [];
  collect(doc, parts, 0, out);
  return out;
}

function collect(value: unknown, parts: string[], index: number, out: unknown[]): void {
  if (index === parts.length) {
    if (Array.isArray(value)) {
      if (value.length === 0) out.push(undefined);
      // One by one: spreading a long array into push's arguments overflows the stack.
      else for (const element of value) out.push(element);
    } else out.push(value);
    return;
  }
  if (Array.isArray(value)) {
    const position = /^\d+$/.test(parts[index]) ? Number(parts[index]) : undefined;
    if (position !== undefined) return collect(value[position], parts, index + 1, out);
    for (const element of value) collect(element, parts, index, out);
    return;
  }
  if (value === null || typeof value !== 'object') {
    out.push(undefined);
    return;
  }
  collect(ownField(value, parts[index]), parts, index + 1, out);
}

/** The first value at a path without expanding arrays (for `keyValue` in duplicate key errors). */
export function valueAtPath(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = ownField(value, part);
  }
  return value;
}

/**
 * A field the document itself holds: never one inherited from its prototype (`constructor`,
 * `toString`), which a path read through `[]` would find in every document.
 */
export function ownField(value: object, field: string): unknown {
  return Object.hasOwn(value, field) ? (value as Document)[field] : undefined;
}

const DECIMAL_MARK = Symbol('engine-decimal');

/**
 * mingo orders objects of one class by their toString(), which for Decimal128 is its text: "10"
 * would sort before "2". Inside the engine each Decimal128 gets an own toString that sorts in
 * numeric order; bson serializes Decimal128 from its bytes, so clients never see the difference.
 */
export function adoptDecimals(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const element of value) adoptDecimals(element);
    return;
  }
  const type = bsonType(value);
  if (type === 'Decimal128') {
    if (!(DECIMAL_MARK in value)) {
      const key = sortableNumberKey(Number(Decimal128.prototype.toString.call(value)));
      Object.defineProperty(value, DECIMAL_MARK, { value: true });
      Object.defineProperty(value, 'toString', { value: () => key });
    }
    return;
  }
  if (type !== undefined || value instanceof Date) return;
  for (const field of Object.values(value)) adoptDecimals(field);
}

/** Hex of the IEEE 754 bits, flipped so that string order equals numeric order. */
function sortableNumberKey(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value === 0 ? 0 : value);
  let bits = view.getBigUint64(0);
  bits = bits & (1n << 63n) ? ~bits & 0xffffffffffffffffn : bits | (1n << 63n);
  return `decimal:${bits.toString(16).padStart(16, '0')}`;
}

/** A deep copy of the plain parts of a document; BSON values (immutable in practice) are shared. */
export function copyDocument<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyDocument) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (bsonType(value) !== undefined) return value;
  const out: Document = {};
  for (const [field, fieldValue] of Object.entries(value)) out[field] = copyDocument(fieldValue);
  return out as T;
}
