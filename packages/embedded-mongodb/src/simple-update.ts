import { Decimal128, type Document } from 'bson';
import {
  arithmetic,
  arithmeticOverflow,
  compareNumbers,
  identicalNumbers,
  nonNumericArgument,
  nonNumericTarget,
  numberKind,
} from './arithmetic';
import { copyDocument, isScalar, ownField, valueKey } from './values';

/**
 * `$set`, `$unset`, `$inc`, `$mul`, `$min`, `$max`, `$rename` and `$push` (plain or `$each`)
 * applied directly, for the updates the shop sends on every write (a session's expiry, a cart
 * line's quantity, a new cart line), and for arithmetic with MongoDB's numeric types (arithmetic.ts),
 * which mingo's updater knows nothing of. mingo rebuilds its operator context for each call, which
 * costs more than the change itself.
 *
 * Works on `doc`, a private copy of the stored document. Returns whether anything changed, or
 * undefined, before touching `doc`, for anything it does not handle exactly as MongoDB does (other
 * operators, `$push` modifiers, paths that meet arrays or scalars on the way, `$min` between a
 * number and something else, overlapping paths...): the caller then applies the update through
 * mingo. Throws MongoDB's errors for arithmetic on non-numbers and int64 overflow.
 */
export function applySimpleUpdate(doc: Document, operators: Document): boolean | undefined {
  const steps: Array<() => boolean> = [];
  const paths: string[] = [];
  for (const [operator, fields] of Object.entries(operators)) {
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return undefined;
    for (const [path, value] of Object.entries(fields as Document)) {
      if ((operator === '$inc' || operator === '$mul') && numberKind(value) === undefined) {
        throw nonNumericArgument(operator, path, value);
      }
      const target = locate(doc, path);
      if (!target) return undefined;
      paths.push(path);
      const current = target.parent && ownField(target.parent, target.field);
      switch (operator) {
        case '$set':
          steps.push(() => {
            const changed = current === undefined || !sameValue(current, value);
            target.create()[target.field] = copyDocument(value);
            return changed;
          });
          break;
        case '$unset':
          steps.push(() => {
            if (!target.parent || !Object.hasOwn(target.parent, target.field)) return false;
            delete target.parent[target.field];
            return true;
          });
          break;
        case '$inc':
        case '$mul': {
          const result = arithmeticResult(doc, operator, target.field, current, value);
          if (result === undefined) break;
          steps.push(() => {
            target.create()[target.field] = result.value;
            return true;
          });
          break;
        }
        case '$min':
        case '$max': {
          if (current !== undefined) {
            if (numberKind(current) === undefined || numberKind(value) === undefined) return undefined;
            const order = compareNumbers(value, current);
            if (operator === '$min' ? order >= 0 : order <= 0) break;
          }
          steps.push(() => {
            target.create()[target.field] = copyDocument(value);
            return true;
          });
          break;
        }
        case '$rename': {
          // MongoDB refuses array elements on either side; mingo answers those as before.
          if (typeof value !== 'string' || [path, value].some((p) => p.split('.').some(isPosition))) return undefined;
          const to = locate(doc, value);
          if (!to || value === path) return undefined;
          paths.push(value);
          steps.push(() => {
            if (!target.parent || !Object.hasOwn(target.parent, target.field)) return false;
            // MongoDB unsets both names, then sets the new one (which so comes last).
            delete target.parent[target.field];
            const parent = to.create();
            delete parent[to.field];
            parent[to.field] = current;
            return true;
          });
          break;
        }
        case '$push': {
          const items = pushedItems(value);
          if (!items || (current !== undefined && !Array.isArray(current))) return undefined;
          steps.push(() => {
            target.create()[target.field] = [...((current as unknown[] | undefined) ?? []), ...items.map(copyDocument)];
            return true;
          });
          break;
        }
        default:
          return undefined;
      }
    }
  }
  if (overlapping(paths)) return undefined;
  let changed = false;
  for (const step of steps) changed = step() || changed;
  return changed;
}

/**
 * The new value of an `$inc` or `$mul`, or undefined for a no-op (the same value of the same type).
 * A missing field gets the operand ($inc) or a zero of the operand's type ($mul), as in mongod.
 */
function arithmeticResult(
  doc: Document,
  operator: '$inc' | '$mul',
  field: string,
  current: unknown,
  operand: unknown,
): { value: unknown } | undefined {
  if (current === undefined) {
    return { value: operator === '$inc' ? copyDocument(operand) : arithmetic('multiply', operand, 0) };
  }
  if (numberKind(current) === undefined) throw nonNumericTarget(operator, doc, field, current);
  const value = arithmetic(operator === '$inc' ? 'add' : 'multiply', current, operand);
  if (value === undefined) throw arithmeticOverflow(operator, doc, current);
  return identicalNumbers(value, current) ? undefined : { value };
}

/** `$push: x` or `$push: { $each: [...] }` (no other modifier): the values appended. */
function pushedItems(value: unknown): unknown[] | undefined {
  if (value === null || typeof value !== 'object' || !Object.keys(value).some((key) => key.startsWith('$'))) {
    return [value];
  }
  const keys = Object.keys(value);
  const each = (value as Document).$each;
  return keys.length === 1 && keys[0] === '$each' && Array.isArray(each) ? each : undefined;
}

/**
 * Whether `$set` leaves a field as it was: the same value of the same type (MongoDB compares the
 * BSON, so setting Long(5) over the int32 5 is a change; valueKey compares numbers by value only).
 */
function sameValue(current: unknown, value: unknown): boolean {
  const kind = numberKind(current);
  if (kind !== numberKind(value)) return false;
  if (kind === 'decimal') return decimalText(current) === decimalText(value);
  return valueKey(current) === valueKey(value);
}

function decimalText(value: unknown): string {
  return Decimal128.prototype.toString.call(value as Decimal128);
}

interface Target {
  /** The object holding the field, when the path exists up to it. */
  parent: Document | undefined;
  field: string;
  /** The parent, creating the missing objects along the path. */
  create(): Document;
}

/**
 * Where a dotted path ends. Undefined when the way there passes through something other than a
 * sub-document or an existing array element (a date, a BSON value, a scalar, a position past the
 * end), or when it ends in an array: MongoDB's rules for those are left to mingo.
 */
function locate(doc: Document, path: string): Target | undefined {
  const parts = path.split('.');
  if (parts.some((part) => part === '' || part.startsWith('$'))) return undefined;
  const field = parts[parts.length - 1];
  if (isPosition(field)) return undefined;
  let node: Document | undefined = doc;
  for (let depth = 0; depth < parts.length - 1; depth++) {
    const part = parts[depth];
    // A position (after the positional $ was resolved) inside an array that has that element.
    if (Array.isArray(node)) {
      if (!isPosition(part) || Number(part) >= node.length) return undefined;
    } else if (isPosition(part)) {
      return undefined;
    }
    const next: unknown = ownField(node, part);
    if (next === undefined) {
      // Missing from here on: created as sub-documents, unless a position asks for an array.
      if (parts.slice(depth + 1, -1).some(isPosition)) return undefined;
      node = undefined;
      break;
    }
    if (!isPlainDocument(next) && !Array.isArray(next)) return undefined;
    node = next;
  }
  if (Array.isArray(node)) return undefined;
  const existing = node;
  return {
    parent: existing,
    field,
    create() {
      if (existing) return existing;
      let at: Document = doc;
      for (let i = 0; i < parts.length - 1; i++) {
        // Another field of this same update may have created it already.
        if (ownField(at, parts[i]) === undefined) at[parts[i]] = {};
        at = at[parts[i]] as Document;
      }
      return at;
    },
  };
}

function isPosition(part: string): boolean {
  return /^\d+$/.test(part);
}

function isPlainDocument(value: unknown): value is Document {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !isScalar(value) &&
    (value as { _bsontype?: string })._bsontype === undefined
  );
}

/** Two paths that are equal or one inside the other conflict in MongoDB. */
function overlapping(paths: string[]): boolean {
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1] || sorted[i].startsWith(`${sorted[i - 1]}.`)) return true;
  }
  return false;
}
