import { Decimal128, Double, EJSON, Long, type Document } from 'bson';
import { Decimal } from 'decimal.js';
import { CommandError, ErrorCodes, badValue } from './errors';
import { encodesAsInt32 } from './numbers';
import { adoptDecimals } from './values';

/**
 * MongoDB's arithmetic on BSON numbers in their exact form (numbers.ts), as its update operators do
 * it (mongod's SafeNum): the result has the wider type of the two (int32 < int64 < double <
 * Decimal128), an int32 result that overflows becomes an int64, an int64 one is an error, and a
 * double meeting a Decimal128 becomes a decimal of 15 significant digits.
 */

export type NumberKind = 'int' | 'long' | 'double' | 'decimal';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function tagOf(value: object): unknown {
  return (value as { _bsontype?: unknown })._bsontype;
}

/** The BSON numeric type of a value in exact form, or undefined for anything that is not a number. */
export function numberKind(value: unknown): NumberKind | undefined {
  if (typeof value === 'number') return encodesAsInt32(value) ? 'int' : 'double';
  if (value === null || typeof value !== 'object') return undefined;
  switch (tagOf(value)) {
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    default:
      return undefined;
  }
}

/** A double in exact form: a JS number unless bson would write that number back as an int32. */
export function exactDouble(value: number): number | Double {
  return encodesAsInt32(value) ? new Double(value) : value;
}

function asDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  const tag = tagOf(value as object);
  if (tag === 'Long') return (value as Long).toNumber();
  if (tag === 'Decimal128') return Number(decimalText(value as Decimal128));
  return (value as { value: number }).value;
}

function asBigInt(value: unknown): bigint {
  if (typeof value === 'number') return BigInt(value);
  if (tagOf(value as object) === 'Long') return (value as Long).toBigInt();
  return BigInt((value as { value: number }).value);
}

export type ArithmeticOperation = 'add' | 'multiply';

/**
 * `current (op) operand`, both numbers in exact form; the result in exact form, or undefined when an
 * int64 result overflows (mongod's "Failed to apply ... operations").
 */
export function arithmetic(operation: ArithmeticOperation, current: unknown, operand: unknown): unknown {
  if (typeof current === 'number' && typeof operand === 'number') {
    // The everyday case ($inc of a quantity), without looking at types twice.
    const result = operation === 'add' ? current + operand : current * operand;
    if (!encodesAsInt32(current) || !encodesAsInt32(operand)) return exactDouble(result);
    if (Number.isSafeInteger(result) && result >= INT32_MIN && result <= INT32_MAX) return result + 0;
  }
  const a = numberKind(current);
  const b = numberKind(operand);
  if (a === 'decimal' || b === 'decimal') return decimalArithmetic(operation, current, operand);
  if (a === 'double' || b === 'double') {
    const x = asDouble(current);
    const y = asDouble(operand);
    return exactDouble(operation === 'add' ? x + y : x * y);
  }
  if (a === 'int' && b === 'int') {
    const x = asDouble(current);
    const y = asDouble(operand);
    const result = operation === 'add' ? x + y : x * y;
    // `+ 0` turns the -0 of 0 * -1 into the int32 0.
    if (Number.isSafeInteger(result) && result >= INT32_MIN && result <= INT32_MAX) return result + 0;
    return Long.fromBigInt(operation === 'add' ? BigInt(x) + BigInt(y) : BigInt(x) * BigInt(y));
  }
  const x = asBigInt(current);
  const y = asBigInt(operand);
  const result = operation === 'add' ? x + y : x * y;
  return result < INT64_MIN || result > INT64_MAX ? undefined : Long.fromBigInt(result);
}

/** Same type and same value: what mongod treats as a no-op ($inc by 0 of the same type). */
export function identicalNumbers(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b && encodesAsInt32(a) === encodesAsInt32(b);
  const kind = numberKind(a);
  if (kind === undefined || kind !== numberKind(b)) return false;
  switch (kind) {
    case 'long':
      return (a as Long).equals(b as Long);
    case 'decimal':
      return decimalOperand(a).value.eq(decimalOperand(b).value);
    default:
      return asDouble(a) === asDouble(b);
  }
}

/** MongoDB's order of numbers of any types: by value, NaN below everything (and equal to NaN). */
export function compareNumbers(a: unknown, b: unknown): number {
  const ka = numberKind(a);
  const kb = numberKind(b);
  if (ka === 'decimal' || kb === 'decimal') {
    const x = decimalOperand(a).value;
    const y = decimalOperand(b).value;
    if (x.isNaN() || y.isNaN()) return Number(y.isNaN()) - Number(x.isNaN());
    return x.cmp(y);
  }
  const x = ka === 'long' ? asBigInt(a) : asDouble(a);
  const y = kb === 'long' ? asBigInt(b) : asDouble(b);
  const xNaN = typeof x === 'number' && Number.isNaN(x);
  const yNaN = typeof y === 'number' && Number.isNaN(y);
  if (xNaN || yNaN) return Number(yNaN) - Number(xNaN);
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------
// Decimal128, with decimal.js doing the arithmetic.

/**
 * Exact enough for any sum or product of two Decimal128s (34 digits each, exponents within
 * -6176..6111), so that the one rounding, to 34 digits, happens in toDecimal128.
 */
const Wide = Decimal.clone({ precision: 20_000, rounding: Decimal.ROUND_HALF_EVEN });

const DECIMAL_DIGITS = 34;
const MAX_EXPONENT = 6111;
const MIN_EXPONENT = -6176;

interface DecimalOperand {
  value: Decimal;
  /** The exponent of the last digit of its coefficient ("2.10" has -2): IEEE 754 keeps it. */
  exponent: number;
}

/** adoptDecimals gives each Decimal128 an own toString (for mingo's sort): read the real one. */
function decimalText(value: Decimal128): string {
  return Decimal128.prototype.toString.call(value);
}

function decimalOperand(value: unknown): DecimalOperand {
  let text: string;
  switch (numberKind(value)) {
    case 'decimal':
      text = decimalText(value as Decimal128);
      break;
    case 'long':
      text = (value as Long).toString();
      break;
    case 'double': {
      // mongod converts a double to the Decimal128 of its first 15 significant digits.
      const number = asDouble(value);
      text =
        number === 0 || !Number.isFinite(number)
          ? Object.is(number, -0)
            ? '-0'
            : String(number)
          : number.toPrecision(15);
      break;
    }
    default:
      text = String(asDouble(value));
  }
  const parts = /^[+-]?\d+(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  const exponent = parts ? Number(parts[2] ?? 0) - (parts[1]?.length ?? 0) : 0;
  return { value: new Wide(text), exponent };
}

function decimalArithmetic(operation: ArithmeticOperation, current: unknown, operand: unknown): Decimal128 {
  const a = decimalOperand(current);
  const b = decimalOperand(operand);
  const exact = operation === 'add' ? a.value.plus(b.value) : a.value.times(b.value);
  // IEEE 754's preferred exponent: 1.10 + 1 is 2.10, 1.5 * 2.0 is 3.00.
  const preferred = operation === 'add' ? Math.min(a.exponent, b.exponent) : a.exponent + b.exponent;
  const result = toDecimal128(exact, preferred);
  adoptDecimals(result);
  return result;
}

/**
 * The Decimal128 of an exact result: rounded to 34 digits (half to even) when it has more, and
 * otherwise written with the exponent closest to the preferred one, as IEEE 754 decimal arithmetic
 * (and so mongod) does.
 */
function toDecimal128(exact: Decimal, preferred: number): Decimal128 {
  if (exact.isNaN()) return Decimal128.fromString('NaN');
  if (!exact.isFinite()) return Decimal128.fromString(exact.isNeg() ? '-Infinity' : 'Infinity');
  const sign = exact.isNeg() ? '-' : '';
  if (exact.isZero()) return decimalFromText(`${sign}0E${clamp(preferred)}`);
  const rounded = exact.toSignificantDigits(DECIMAL_DIGITS, Decimal.ROUND_HALF_EVEN);
  const digits = rounded.sd();
  const last = rounded.e - digits + 1;
  const fullest = last - (DECIMAL_DIGITS - digits);
  const exponent = Math.min(last, rounded.eq(exact) ? Math.max(preferred, fullest) : fullest);
  const significant = rounded
    .abs()
    .toExponential(digits - 1)
    .replace(/e.*$/, '')
    .replace('.', '');
  return decimalFromText(`${sign}${significant}${'0'.repeat(last - exponent)}E${exponent}`);
}

function clamp(exponent: number): number {
  return Math.min(MAX_EXPONENT, Math.max(MIN_EXPONENT, exponent));
}

function decimalFromText(text: string): Decimal128 {
  try {
    return Decimal128.fromString(text);
  } catch {
    // Past Decimal128's exponents: bson rounds (or overflows to Infinity) as the format requires.
    try {
      return Decimal128.fromStringWithRounding(text);
    } catch (error) {
      throw badValue(`the Decimal128 result ${text} cannot be represented: ${(error as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// mongod's messages

/** How mongod's SafeNum prints a number in its messages: `(NumberLong)9223372036854775807`. */
export function debugNumber(value: unknown): string {
  switch (numberKind(value)) {
    case 'int':
      return `(NumberInt)${asDouble(value)}`;
    case 'long':
      return `(NumberLong)${(value as Long).toString()}`;
    case 'double':
      return `(NumberDouble)${asDouble(value)}`;
    case 'decimal':
      return `(NumberDecimal)${decimalText(value as Decimal128)}`;
    default:
      return '(EOO)';
  }
}

/** The name MongoDB gives a value's BSON type in messages ($type's aliases). */
export function bsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return numberKind(value)!;
    case 'object':
      break;
    default:
      return 'object';
  }
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  const names: Record<string, string> = {
    ObjectId: 'objectId',
    Binary: 'binData',
    Timestamp: 'timestamp',
    Long: 'long',
    Int32: 'int',
    Double: 'double',
    Decimal128: 'decimal',
    MinKey: 'minKey',
    MaxKey: 'maxKey',
    Code: 'javascript',
    BSONSymbol: 'symbol',
    BSONRegExp: 'regex',
  };
  const tag = tagOf(value);
  return typeof tag === 'string' && Object.hasOwn(names, tag) ? names[tag] : 'object';
}

/** A value as mongod prints one in a message: `"text"`, `5`, `ObjectId('...')`. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (numberKind(value) !== undefined) {
    return numberKind(value) === 'decimal' ? decimalText(value as Decimal128) : String(asDouble(value));
  }
  if (value !== null && typeof value === 'object' && tagOf(value) === 'ObjectId') {
    return `ObjectId('${(value as { toHexString(): string }).toHexString()}')`;
  }
  if (value === undefined) return 'undefined';
  try {
    return EJSON.stringify({ v: value as Document }, { relaxed: true }).slice(5, -1);
  } catch {
    return String(value);
  }
}

function idOf(doc: Document): string {
  return doc._id === undefined ? 'no id' : `_id: ${showValue(doc._id)}`;
}

/** `$inc: { a: 'x' }`: refused before any document is read. */
export function nonNumericArgument(operator: string, path: string, operand: unknown): CommandError {
  const verb = operator === '$inc' ? 'increment' : 'multiply';
  return new CommandError(
    ErrorCodes.TypeMismatch,
    'TypeMismatch',
    `Cannot ${verb} with non-numeric argument: {${path}: ${showValue(operand)}}`,
  );
}

/** `$inc` on a field that holds something other than a number. */
export function nonNumericTarget(operator: string, doc: Document, field: string, current: unknown): CommandError {
  return new CommandError(
    ErrorCodes.TypeMismatch,
    'TypeMismatch',
    `Cannot apply ${operator} to a value of non-numeric type. {${idOf(doc)}} has the field '${field}' of non-numeric type ${bsonTypeName(current)}`,
  );
}

/** An int64 result out of range. */
export function arithmeticOverflow(operator: string, doc: Document, current: unknown): CommandError {
  return badValue(
    `Failed to apply ${operator} operations to current value (${debugNumber(current)}) for document {${idOf(doc)}}`,
  );
}
