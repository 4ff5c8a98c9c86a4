import { Long, type Document } from 'bson';
import { valueKey } from './values';

/**
 * BSON numbers kept with their types (int32, int64, double, Decimal128), as MongoDB keeps them.
 *
 * The stored, "exact" form of a document holds JS numbers wherever bson will write them back with
 * the right type: an int32 value, or a double that is not an integer in int32 range (bson writes a
 * number as int32 when it is one, as double otherwise). Only what a JS number would get wrong keeps
 * its bson object: `Long` for every int64, `Double` for a double such as 5.0, Decimal128 as always.
 * The Node driver never sends those from JS numbers, so the shop's own documents hold none, and the
 * engine handles them exactly as before.
 *
 * mingo knows nothing of `Long` and `Double` objects (it would compare them as opaque objects), so
 * it only ever gets a "view": the same document with those objects turned into JS numbers. What
 * mingo computes from a view gets the exact objects back wherever it kept a value unchanged
 * (`restoreNumbers`).
 */

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

interface Tagged {
  _bsontype?: unknown;
}

function bsonTypeOf(value: object): unknown {
  return (value as Tagged)._bsontype;
}

/** Whether bson writes this JS number as an int32 (otherwise it writes a double). */
export function encodesAsInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0);
}

/** A `Long` or `Double` object: what a view turns into a JS number. */
export function isNumberWrapper(value: unknown): value is Long | { _bsontype: 'Double'; value: number } {
  if (value === null || typeof value !== 'object') return false;
  const type = bsonTypeOf(value);
  return type === 'Long' || type === 'Double';
}

/** The JS number a `Long`, `Double` or `Int32` object stands for (a Long past 2^53 is rounded). */
export function wrapperNumber(value: object): number {
  const type = bsonTypeOf(value);
  if (type === 'Long') return (value as Long).toNumber();
  return (value as { value: number }).value;
}

// ---------------------------------------------------------------------------------------------------
// Decoding: what `deserialize(..., { promoteValues: false })` gives, made into the exact form or the
// promoted one. Both change the freshly decoded tree in place.

/** Int32 objects become numbers, Doubles become numbers unless a number would turn them into an int32. */
export function normaliseExact(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = normaliseExact(value[i]);
    return value;
  }
  const type = bsonTypeOf(value);
  if (type !== undefined) {
    switch (type) {
      case 'Int32':
        return (value as { value: number }).value;
      case 'Double': {
        const number = (value as { value: number }).value;
        return encodesAsInt32(number) ? value : number;
      }
      case 'BSONSymbol':
        return (value as { value: string }).value;
      default:
        return value;
    }
  }
  if (value instanceof Date) return value;
  const doc = value as Document;
  for (const key of Object.keys(doc)) doc[key] = normaliseExact(doc[key]);
  return doc;
}

/** What bson's default promotion gives: numbers for int32 and double, and for an int64 within 2^53. */
export function promoteDecoded(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = promoteDecoded(value[i]);
    return value;
  }
  const type = bsonTypeOf(value);
  if (type !== undefined) {
    switch (type) {
      case 'Int32':
      case 'Double':
      case 'BSONSymbol':
        return (value as { value: unknown }).value;
      case 'Long': {
        const long = value as Long;
        return long.lessThanOrEqual(MAX_SAFE_LONG) && long.greaterThanOrEqual(MIN_SAFE_LONG) ? long.toNumber() : long;
      }
      default:
        return value;
    }
  }
  if (value instanceof Date) return value;
  const doc = value as Document;
  for (const key of Object.keys(doc)) doc[key] = promoteDecoded(doc[key]);
  return doc;
}

const MAX_SAFE_LONG = Long.fromNumber(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_LONG = Long.fromNumber(Number.MIN_SAFE_INTEGER);

/**
 * The fields of a command whose values are stored, or become parts of stored documents: kept exact.
 * Everything else (cursor ids, limits, batch sizes, filters of reads, pipelines...) is promoted, so
 * handlers and mingo see JS numbers as they always did.
 */
const EXACT_FIELDS: Record<string, Record<string, FieldMode>> = {
  insert: { documents: 'each' },
  update: { updates: 'statements' },
  findAndModify: { query: 'exact', update: 'exact' },
  findandmodify: { query: 'exact', update: 'exact' },
};

/** The field itself is exact; each of its elements is; each element is an update statement. */
type FieldMode = 'exact' | 'each' | 'statements';

/**
 * Makes a command decoded with `promoteValues: false` (the documents in `raw`: the body and/or
 * some document-sequence documents) what the handlers expect: exact where it is stored, promoted
 * elsewhere.
 */
export function normaliseCommand(body: Document, raw: ReadonlySet<Document>): void {
  if (raw.size === 0) return;
  const fields = EXACT_FIELDS[Object.keys(body)[0]] ?? {};
  const bodyRaw = raw.has(body);
  for (const field of Object.keys(body)) {
    const value: unknown = body[field];
    const mode = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (bodyRaw && (mode === undefined || mode === 'exact' || !Array.isArray(value))) {
      body[field] = mode === 'exact' ? normaliseExact(value) : promoteDecoded(value);
      continue;
    }
    // An array in a raw body, or a document sequence (whose documents were decoded one by one).
    if (!Array.isArray(value)) continue;
    for (let i = 0; i < value.length; i++) {
      if (bodyRaw || raw.has(value[i] as Document)) value[i] = normaliseElement(value[i], mode);
    }
  }
}

function normaliseElement(element: unknown, mode: FieldMode | undefined): unknown {
  if (mode === 'exact' || mode === 'each') return normaliseExact(element);
  if (mode === 'statements' && element !== null && typeof element === 'object' && !Array.isArray(element)) {
    const statement = element as Document;
    for (const key of Object.keys(statement)) {
      statement[key] = key === 'q' || key === 'u' ? normaliseExact(statement[key]) : promoteDecoded(statement[key]);
    }
    return statement;
  }
  return promoteDecoded(element);
}

// ---------------------------------------------------------------------------------------------------
// Views

/**
 * Whether a value holds a `Long` or `Double` object anywhere. Run on every document stored, so
 * without allocating: it recurses (stored documents are at most 100 levels deep).
 */
export function holdsNumberWrappers(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (typeof element === 'object' && element !== null && holdsNumberWrappers(element)) return true;
    }
    return false;
  }
  const type = bsonTypeOf(value);
  if (type !== undefined) return type === 'Long' || type === 'Double';
  if (value instanceof Date) return false;
  for (const key in value) {
    const field: unknown = (value as Document)[key];
    if (typeof field === 'object' && field !== null && holdsNumberWrappers(field)) return true;
  }
  return false;
}

/** A value with every `Long`, `Double` (and `Int32`) object turned into a JS number; unchanged parts shared. */
export function promoteView<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      const promoted = promoteView(element);
      if (promoted !== element) {
        out ??= value.slice();
        out[i] = promoted;
      }
    }
    return (out ?? value) as T;
  }
  const type = bsonTypeOf(value);
  if (type !== undefined) {
    return (type === 'Long' || type === 'Double' || type === 'Int32' ? wrapperNumber(value) : value) as T;
  }
  if (value instanceof Date) return value;
  let out: Document | undefined;
  const doc = value as Document;
  for (const key of Object.keys(doc)) {
    const field: unknown = doc[key];
    const promoted = promoteView(field);
    if (promoted !== field) {
      out ??= { ...doc };
      out[key] = promoted;
    }
  }
  return (out ?? value) as T;
}

/**
 * A stored document that holds Long or Double objects carries its view under this symbol (not
 * enumerable: bson, mingo and copies never see it); every other stored document is its own view.
 * So finding a document's view, once for every document a mingo query scans, is one property read.
 */
const VIEW = Symbol('engine-view');

/** Called for every document the collections store: gives it its view when it needs one. */
export function registerStored(doc: Document): void {
  if (!holdsNumberWrappers(doc) || Object.hasOwn(doc, VIEW)) return;
  Object.defineProperty(doc, VIEW, { value: promoteView(doc) });
}

/** The view of a stored document (which never changes: an update stores a new one). */
export function storedView(doc: Document): Document {
  return ((doc as { [VIEW]?: Document })[VIEW] ?? doc) as Document;
}

// ---------------------------------------------------------------------------------------------------
// Restoring

/**
 * What mingo made from a view, with the exact objects of `exact` put back wherever the result holds
 * the same number at the same place; array elements are matched by value (restoreArray). Copies
 * what it changes; never modifies `out`.
 */
export function restoreNumbers<T>(out: T, exact: unknown): T {
  if (typeof out === 'number') {
    return (isNumberWrapper(exact) && sameNumber(out, exact) ? exact : out) as T;
  }
  if (out === null || typeof out !== 'object' || exact === null || typeof exact !== 'object') return out;
  if (Array.isArray(out)) return (Array.isArray(exact) ? restoreArray(out, exact) : out) as T;
  if (Array.isArray(exact) || out instanceof Date || bsonTypeOf(out) !== undefined) return out;
  if (bsonTypeOf(exact) !== undefined || exact instanceof Date) return out;
  let copy: Document | undefined;
  const doc = out as Document;
  for (const key of Object.keys(doc)) {
    if (!Object.hasOwn(exact, key)) continue;
    const field: unknown = doc[key];
    const restored = restoreNumbers(field, (exact as Document)[key]);
    if (restored !== field) {
      copy ??= { ...doc };
      copy[key] = restored;
    }
  }
  return (copy ?? out) as T;
}

/**
 * Each result element takes back the exact objects of a source element equal to it (its view):
 * the one at the same position when that one is equal, otherwise the first unused one. So elements
 * that moved ($push with $sort, $pull, a projection's $slice) keep their types too. A sub-document
 * or array equal to none is matched by position when the array kept its length (changed in place).
 */
function restoreArray(out: unknown[], exact: unknown[]): unknown[] {
  // Only the source elements holding Long or Double objects have anything to give back.
  const pool = new Map<string, { positions: number[]; next: number }>();
  const keys: Array<string | undefined> = new Array(exact.length);
  for (let j = 0; j < exact.length; j++) {
    const element = exact[j];
    if (!isNumberWrapper(element) && !holdsNumberWrappers(element)) continue;
    const key = valueKey(promoteView(element));
    keys[j] = key;
    const entry = pool.get(key);
    if (entry) entry.positions.push(j);
    else pool.set(key, { positions: [j], next: 0 });
  }
  if (pool.size === 0) return out;
  const used = new Uint8Array(exact.length);
  const sameLength = out.length === exact.length;
  let copy: unknown[] | undefined;
  for (let i = 0; i < out.length; i++) {
    const element = out[i];
    if (typeof element !== 'number' && (element === null || typeof element !== 'object')) continue;
    const key = valueKey(element);
    const entry = pool.get(key);
    let j: number | undefined;
    if (i < exact.length && keys[i] === key && !used[i]) j = i;
    else if (entry) {
      while (entry.next < entry.positions.length && used[entry.positions[entry.next]]) entry.next++;
      j = entry.positions[entry.next];
    }
    // No equal element: one changed in place (an arrayFilters update) gets back what it kept.
    if (j === undefined && sameLength && keys[i] !== undefined && !used[i] && typeof element === 'object') j = i;
    if (j === undefined) continue;
    used[j] = 1;
    const restored = restoreNumbers(element, exact[j]);
    if (restored !== element) {
      copy ??= out.slice();
      copy[i] = restored;
    }
  }
  return copy ?? out;
}

function sameNumber(number: number, wrapper: object): boolean {
  const type = bsonTypeOf(wrapper);
  if (type === 'Long') {
    return Number.isSafeInteger(number)
      ? (wrapper as Long).equals(Long.fromNumber(number))
      : (wrapper as Long).toNumber() === number;
  }
  return Object.is((wrapper as { value: number }).value, number);
}
