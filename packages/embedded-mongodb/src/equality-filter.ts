import type { Document } from 'bson';
import { isScalar, valueKey, valuesAtPath } from './values';

/**
 * A test for filters made only of equalities and inequalities with simple values, such as
 * `{ _id: id }` or `{ _id: id, 'cart.items.productId': { $ne: p } }`: the shape of nearly every
 * command the shop sends. mingo would compile a Query for each one (copying its operator tables
 * each time); comparing `valueKey`s is MongoDB's equality for these values, as the indexes use it.
 *
 * Returns undefined for anything else (other operators, null, arrays, sub-documents, numeric path
 * parts, `$and`...): those go to mingo.
 */
export function equalityMatcher(filter: Document): ((doc: Document) => boolean) | undefined {
  const conditions: Array<{ path: string; key: string; equal: boolean }> = [];
  for (const [path, condition] of Object.entries(filter)) {
    if (path.startsWith('$') || path.split('.').some((part) => part === '' || /^\d+$/.test(part))) return undefined;
    const parsed = parseCondition(condition);
    if (!parsed) return undefined;
    conditions.push({ path, ...parsed });
  }
  return (doc) =>
    conditions.every(
      ({ path, key, equal }) => valuesAtPath(doc, path).some((value) => valueKey(value) === key) === equal,
    );
}

/** `x` and `{ $eq: x }` ask for equality, `{ $ne: x }` for its opposite (an array holding x fails too). */
function parseCondition(condition: unknown): { key: string; equal: boolean } | undefined {
  if (isScalar(condition)) return { key: valueKey(condition), equal: true };
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return undefined;
  const operators = Object.keys(condition);
  if (operators.length !== 1) return undefined;
  const operand = (condition as Document)[operators[0]];
  if (!isScalar(operand)) return undefined;
  if (operators[0] === '$eq') return { key: valueKey(operand), equal: true };
  if (operators[0] === '$ne') return { key: valueKey(operand), equal: false };
  return undefined;
}
