import { Decimal128, type Document, type Long } from 'bson';
import { ownField } from './values';

/**
 * Sorting without mingo for the common case: every document has, for each sort field, a single
 * value (no array, not missing) of one kind shared by all of them: numbers, strings, dates,
 * ObjectIds or booleans. Then ordering those values is all MongoDB does, and it costs a fraction
 * of mingo's general sort (which groups the documents by each key, hashing every value). The shop's
 * lists sort this way, newest first, on every page view.
 *
 * With `keep` (skip + limit of a page), only that many documents are kept as they come, so a page
 * of 12 out of 1,000 costs about one comparison per document instead of a whole sort.
 *
 * Returns undefined for anything else (mixed kinds, arrays, missing fields, `$meta`): the caller
 * sorts through mingo then. Stable, like mingo's sort: ties keep the input order, in both directions.
 */
export function sortBySimpleKeys(docs: readonly Document[], sort: Document, keep = Infinity): Document[] | undefined {
  const paths = Object.keys(sort).map((path) => path.split('.'));
  const directions: number[] = Object.values(sort);
  if (paths.length === 0 || directions.some((direction) => direction !== 1 && direction !== -1)) return undefined;

  // keys[i * width + j]: document i's value for sort field j, as something `<` orders.
  const width = paths.length;
  const keys: Array<number | bigint | string> = new Array(docs.length * width);
  const kinds: Array<string | undefined> = new Array(width);
  for (let i = 0; i < docs.length; i++) {
    for (let j = 0; j < width; j++) {
      const value = valueAt(docs[i], paths[j]);
      const kind = kindOf(value);
      if (kind === undefined) return undefined;
      if (kinds[j] === undefined) kinds[j] = kind;
      else if (kinds[j] !== kind) return undefined;
      keys[i * width + j] = comparable(value, kind);
    }
  }

  const compare = (a: number, b: number): number => {
    for (let j = 0; j < width; j++) {
      const x = keys[a * width + j];
      const y = keys[b * width + j];
      if (x < y) return -directions[j];
      if (x > y) return directions[j];
    }
    return a - b;
  };

  let order: number[];
  if (keep * 4 < docs.length) {
    order = [];
    for (let i = 0; i < docs.length; i++) {
      if (order.length === keep && compare(i, order[keep - 1]) > 0) continue;
      let low = 0;
      let high = order.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (compare(order[middle], i) < 0) low = middle + 1;
        else high = middle;
      }
      order.splice(low, 0, i);
      if (order.length > keep) order.pop();
    }
  } else {
    order = docs.map((_, i) => i);
    order.sort(compare);
  }
  return order.map((i) => docs[i]);
}

function valueAt(doc: Document, parts: string[]): unknown {
  let value: unknown = doc;
  for (const part of parts) {
    if (value === null || typeof value !== 'object') return undefined;
    value = ownField(value, part);
  }
  return value;
}

/** The kind of a value `<` can order exactly as MongoDB does within that kind, or undefined. */
function kindOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isNaN(value) ? undefined : 'number';
    case 'string':
    case 'boolean':
      return typeof value;
    case 'object':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : 'date';
      switch (value !== null && (value as { _bsontype?: string })._bsontype) {
        // ObjectIds compare by their 12 bytes, which is the order of their fixed-length hex text.
        case 'ObjectId':
          return 'objectId';
        // Numbers of every BSON type order by value, together (numbers.ts keeps int64s and some doubles as objects).
        case 'Long':
          return 'number';
        case 'Double':
        case 'Int32':
          return Number.isNaN((value as { value: number }).value) ? undefined : 'number';
        case 'Decimal128':
          return Number.isNaN(decimalNumber(value!)) ? undefined : 'number';
        default:
          return undefined;
      }
    default:
      return undefined;
  }
}

function comparable(value: unknown, kind: string): number | bigint | string {
  switch (kind) {
    case 'number':
      return typeof value === 'number' ? value : numberOf(value as object);
    case 'date':
      return (value as Date).getTime();
    case 'objectId':
      return (value as { toHexString(): string }).toHexString();
    case 'boolean':
      return value ? 1 : 0;
    default:
      return value as number | string;
  }
}

/**
 * A number object's value for `<`: an int64 exactly, as a bigint (JavaScript compares bigints and
 * numbers by their exact values); a Decimal128 within double precision.
 */
function numberOf(value: object): number | bigint {
  switch ((value as { _bsontype?: string })._bsontype) {
    case 'Long':
      return (value as Long).toBigInt();
    case 'Decimal128':
      return decimalNumber(value);
    default:
      return (value as { value: number }).value;
  }
}

function decimalNumber(value: object): number {
  return Number(Decimal128.prototype.toString.call(value));
}
