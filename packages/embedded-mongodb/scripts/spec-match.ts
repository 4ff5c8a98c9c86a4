import { EJSON } from 'bson';

/**
 * The unified test format's "Evaluating Matches" rules (source/unified-test-format in
 * mongodb/specifications): expected values may hold `$$` operators, root-level documents may have
 * extra fields, numbers of any non-decimal BSON type compare by value.
 */

export type EntityLookup = (id: string) => unknown;

/** Undefined when `actual` matches `expected`, otherwise why not (with the path that differs). */
export function mismatch(
  expected: unknown,
  actual: unknown,
  options: { isRoot: boolean; entity?: EntityLookup },
  path = '',
): string | undefined {
  const entity = options.entity ?? (() => undefined);
  const at = path || '(root)';
  // The driver builds sort and index key specifications as Maps to keep their order.
  if (actual instanceof Map) actual = Object.fromEntries(actual);
  if (isPlainDocument(expected)) {
    const operator = specialOperator(expected);
    if (operator !== undefined) return matchOperator(operator, expected[operator], actual, options, path);
    if (!isPlainDocument(actual)) return `${at}: expected a document, got ${show(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const child = path ? `${path}.${key}` : key;
      if (isPlainDocument(value) && specialOperator(value) === '$$exists') {
        if ((actual[key] !== undefined) !== (value.$$exists === true)) {
          return `${child}: expected to ${value.$$exists ? 'exist' : 'be absent'}`;
        }
        continue;
      }
      if (isPlainDocument(value) && specialOperator(value) === '$$unsetOrMatches' && actual[key] === undefined)
        continue;
      if (!Object.hasOwn(actual, key)) return `${child}: missing, expected ${show(value)}`;
      const why = mismatch(value, actual[key], { isRoot: false, entity }, child);
      if (why) return why;
    }
    if (!options.isRoot) {
      const extra = Object.keys(actual).filter((key) => !Object.hasOwn(expected, key));
      if (extra.length > 0) return `${at}: unexpected field(s) ${extra.join(', ')}`;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, got ${show(actual)}`;
    if (actual.length !== expected.length) {
      return `${at}: expected ${expected.length} element(s), got ${actual.length}: ${show(actual)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const why = mismatch(expected[i], actual[i], { isRoot: false, entity }, `${path}[${i}]`);
      if (why) return why;
    }
    return undefined;
  }
  return sameValue(expected, actual) ? undefined : `${at}: expected ${show(expected)}, got ${show(actual)}`;
}

function matchOperator(
  operator: string,
  operand: unknown,
  actual: unknown,
  options: { isRoot: boolean; entity?: EntityLookup },
  path: string,
): string | undefined {
  const at = path || '(root)';
  switch (operator) {
    case '$$exists':
      return (actual !== undefined) === (operand === true) ? undefined : `${at}: $$exists ${String(operand)}`;
    case '$$type': {
      const types = Array.isArray(operand) ? operand.map(String) : [String(operand)];
      return types.some((type) => hasType(actual, type))
        ? undefined
        : `${at}: expected type ${types.join('|')}, got ${show(actual)}`;
    }
    case '$$unsetOrMatches':
      return actual === undefined ? undefined : mismatch(operand, actual, options, path);
    case '$$matchesEntity':
      return mismatch(options.entity?.(String(operand)), actual, options, path);
    case '$$matchesHexBytes':
      return isBinary(actual) && Buffer.from(actual.buffer).toString('hex') === String(operand).toLowerCase()
        ? undefined
        : `${at}: expected bytes ${String(operand)}`;
    case '$$lte':
      return numberOf(actual) !== undefined &&
        numberOf(operand) !== undefined &&
        numberOf(actual)! <= numberOf(operand)!
        ? undefined
        : `${at}: expected <= ${show(operand)}, got ${show(actual)}`;
    case '$$matchAsDocument':
      if (typeof actual !== 'string') return `${at}: expected a JSON string`;
      return mismatch(operand, EJSON.parse(actual), { ...options, isRoot: false }, path);
    case '$$matchAsRoot':
      return mismatch(operand, actual, { ...options, isRoot: true }, path);
    case '$$sessionLsid':
      return mismatch(options.entity?.(String(operand)), actual, options, path);
    default:
      return `${at}: the runner does not know ${operator}`;
  }
}

function specialOperator(value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0].startsWith('$$') ? keys[0] : undefined;
}

export function isPlainDocument(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (value instanceof Date || value instanceof RegExp || value instanceof Uint8Array) return false;
  return bsonTypeOf(value) === undefined;
}

function bsonTypeOf(value: object): string | undefined {
  const type: unknown = Reflect.get(value, '_bsontype');
  return typeof type === 'string' ? type : undefined;
}

/** The value of an int32, int64 or double, whatever wrapper carries it; undefined for anything else. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object') return undefined;
  const type = bsonTypeOf(value);
  return type === 'Int32' || type === 'Double' || type === 'Long' ? Number(value.valueOf()) : undefined;
}

function isBinary(value: unknown): value is { buffer: Uint8Array } {
  return value !== null && typeof value === 'object' && bsonTypeOf(value) === 'Binary';
}

function sameValue(expected: unknown, actual: unknown): boolean {
  const expectedNumber = numberOf(expected);
  if (expectedNumber !== undefined) return numberOf(actual) === expectedNumber;
  if (expected === null || typeof expected !== 'object') return Object.is(expected, actual);
  return canonical(expected) === canonical(actual);
}

function canonical(value: unknown): string {
  return EJSON.stringify({ v: value }, { relaxed: false });
}

function hasType(value: unknown, type: string): boolean {
  const number = numberOf(value);
  const bson = value !== null && typeof value === 'object' ? bsonTypeOf(value) : undefined;
  switch (type) {
    case 'double':
      // The driver hands doubles and int32s alike to JavaScript as numbers.
      return bson === 'Double' || typeof value === 'number';
    case 'int':
      return bson === 'Int32' || (typeof value === 'number' && Number.isInteger(value));
    case 'long':
      return bson === 'Long' || typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
    case 'number':
      return number !== undefined || bson === 'Decimal128';
    case 'decimal':
      return bson === 'Decimal128';
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'date':
      return value instanceof Date;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainDocument(value);
    case 'objectId':
      return bson === 'ObjectId';
    case 'binData':
      return bson === 'Binary' || value instanceof Uint8Array;
    case 'timestamp':
      return bson === 'Timestamp';
    case 'regex':
      return value instanceof RegExp || bson === 'BSONRegExp';
    default:
      return false;
  }
}

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : EJSON.stringify({ v: value }, { relaxed: true }).slice(5, -1);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
