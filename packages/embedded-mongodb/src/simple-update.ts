import type { Document } from 'bson';
import { copyDocument, isScalar, ownField, valueKey } from './values';

/**
 * `$set`, `$unset`, `$inc` and plain `$push` applied directly, for the updates the shop sends on
 * every write (a session's expiry, a cart line's quantity, a new cart line). mingo's updater
 * rebuilds its operator context for each call, which costs more than the change itself.
 *
 * Works on `doc`, a private copy of the stored document. Returns whether anything changed, or
 * undefined, before touching `doc`, for anything it does not handle exactly as MongoDB does (other
 * operators, `$push` modifiers, paths that meet arrays or scalars on the way, `$inc` on a non-number,
 * overlapping paths...): the caller then applies the update through mingo.
 */
export function applySimpleUpdate(doc: Document, operators: Document): boolean | undefined {
  const steps: Array<() => boolean> = [];
  const paths: string[] = [];
  for (const [operator, fields] of Object.entries(operators)) {
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return undefined;
    for (const [path, value] of Object.entries(fields as Document)) {
      const target = locate(doc, path);
      if (!target) return undefined;
      paths.push(path);
      const current = target.parent && ownField(target.parent, target.field);
      switch (operator) {
        case '$set':
          steps.push(() => {
            const changed = current === undefined || valueKey(current) !== valueKey(value);
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
          if (typeof value !== 'number' || (current !== undefined && typeof current !== 'number')) return undefined;
          steps.push(() => {
            target.create()[target.field] = ((current as number | undefined) ?? 0) + value;
            return value !== 0 || current === undefined;
          });
          break;
        case '$push': {
          const isModifier =
            value !== null && typeof value === 'object' && Object.keys(value).some((key) => key.startsWith('$'));
          if (isModifier || (current !== undefined && !Array.isArray(current))) return undefined;
          steps.push(() => {
            target.create()[target.field] = [...((current as unknown[] | undefined) ?? []), copyDocument(value)];
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
