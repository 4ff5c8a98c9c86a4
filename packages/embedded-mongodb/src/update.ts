import { ObjectId, type Document } from 'bson';
import { Aggregator, update as mingoUpdate } from './mingo';
import type { AnyObject } from 'mingo/types';
import type { Modifier } from 'mingo/updater';
import { CommandError, ErrorCodes, badValue } from './errors';
import { copyDocument, ownField, valueAtPath, valueKey } from './values';
import { holdsNumberWrappers, isNumberWrapper, promoteView, restoreNumbers } from './numbers';
import { valueMatcher } from './query';
import { notImplemented } from './unsupported';
import { assertSafeRenames } from './safe-keys';
import { applySimpleUpdate } from './simple-update';
import { type Evaluation, mingoOptions } from './evaluation';

/**
 * Applies an update (operators, a replacement document or a pipeline) to a copy of a document.
 * Returns the new version, or undefined when nothing changed. `_id` can never change.
 */
export function applyUpdate(
  doc: Document,
  update: Document | Document[],
  options: { filter: Document; arrayFilters?: Document[]; isInsert: boolean; evaluation?: Evaluation },
): Document | undefined {
  let next: Document;
  if (Array.isArray(update)) {
    next = runPipeline(doc, update, options.evaluation);
  } else if (isOperatorUpdate(update)) {
    next = copyDocument(doc);
    const { $setOnInsert, ...operators } = update;
    if (options.isInsert && $setOnInsert)
      operators.$set = { ...(operators.$set as Document), ...($setOnInsert as Document) };
    pinId(next, operators);
    if (Object.keys(operators).length === 0) return options.isInsert ? next : undefined;
    assertSafeRenames(operators);
    const resolved = resolvePositional(next, operators, options.filter);
    const simple = options.arrayFilters ? undefined : applySimpleUpdate(next, resolved);
    if (simple === false && !options.isInsert) return undefined;
    if (simple === undefined) {
      const updated = updateThroughMingo(next, doc, resolved, options.arrayFilters);
      if (!updated && !options.isInsert) return undefined;
      next = updated ?? next;
    }
  } else {
    if (Object.keys(update).some((field) => field.startsWith('$'))) {
      throw badValue('an update document must contain only update operators or no operators at all');
    }
    next = { _id: doc._id, ...copyDocument(update) };
    if (update._id === undefined) next._id = doc._id;
  }
  if (doc._id !== undefined && valueKey(next._id) !== valueKey(doc._id)) throw immutableId();
  return next;
}

/** The document an upsert starts from: the filter's equality conditions, then the update. */
export function upsertDocument(
  filter: Document,
  update: Document | Document[],
  arrayFilters?: Document[],
  evaluation?: Evaluation,
): Document {
  const seed: Document = {};
  collectEqualities(filter, seed);
  const inserted = applyUpdate(seed, update, { filter: {}, arrayFilters, isInsert: true, evaluation }) ?? seed;
  if (inserted._id === undefined) return { _id: new ObjectId(), ...inserted };
  // MongoDB puts _id first.
  const { _id, ...rest } = inserted;
  return { _id, ...rest };
}

function collectEqualities(filter: Document, into: Document): void {
  for (const [field, condition] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(condition)) {
      for (const part of condition) collectEqualities(part as Document, into);
      continue;
    }
    if (field.startsWith('$')) continue;
    const value = equalityValue(condition);
    if (value !== undefined) setPath(into, field, copyDocument(value));
  }
}

function equalityValue(condition: unknown): unknown {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return condition;
  const keys = Object.keys(condition);
  if (keys.length > 0 && keys.every((key) => key.startsWith('$'))) {
    return keys.length === 1 && keys[0] === '$eq' ? (condition as Document).$eq : undefined;
  }
  return condition;
}

function setPath(target: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!Object.hasOwn(node, part) || node[part] === null || typeof node[part] !== 'object') node[part] = {};
    node = node[part] as Document;
  }
  node[parts[parts.length - 1]] = value;
}

/**
 * `$set: { _id }` with the value the document already has is allowed by MongoDB (the session store
 * sends it on every write) but refused by mingo: take it out, or apply it to a new document.
 */
function pinId(doc: Document, operators: Document): void {
  const set = operators.$set as Document | undefined;
  if (!set || !Object.hasOwn(set, '_id')) return;
  const { _id, ...rest } = set;
  if (doc._id === undefined) doc._id = _id;
  else if (valueKey(doc._id) !== valueKey(_id)) throw immutableId();
  if (Object.keys(rest).length > 0) operators.$set = rest;
  else delete operators.$set;
}

/**
 * Replaces the positional `$` in update paths by the index of the first array element the filter
 * matched, as MongoDB does. (mingo's own `$` only works for arrays at the top level.)
 */
function resolvePositional(doc: Document, operators: Document, filter: Document): Document {
  const resolved: Document = {};
  for (const [operator, fields] of Object.entries(operators)) {
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
      resolved[operator] = fields;
      continue;
    }
    const renamed: Document = {};
    for (const [path, value] of Object.entries(fields as Document)) {
      const at = path === '$' || path.startsWith('$.') ? 0 : path.indexOf('.$', 0);
      const isPositional = at > 0 && (path.length === at + 2 || path[at + 2] === '.');
      renamed[
        isPositional ? `${path.slice(0, at)}.${positionOf(doc, path.slice(0, at), filter)}${path.slice(at + 2)}` : path
      ] = value;
    }
    resolved[operator] = renamed;
  }
  return resolved;
}

function positionOf(doc: Document, arrayPath: string, filter: Document): number {
  const array = valueAtPath(doc, arrayPath);
  const elementFilter: Document = {};
  for (const [field, condition] of Object.entries(filter)) {
    if (field === arrayPath) {
      const elemMatch =
        condition !== null && typeof condition === 'object' ? (condition as Document).$elemMatch : undefined;
      Object.assign(
        elementFilter,
        elemMatch && typeof elemMatch === 'object' ? { element: { $elemMatch: elemMatch } } : { element: condition },
      );
    } else if (field.startsWith(`${arrayPath}.`)) {
      elementFilter[`element.${field.slice(arrayPath.length + 1)}`] = condition;
    }
  }
  if (Array.isArray(array) && Object.keys(elementFilter).length > 0) {
    const test = guard(() => valueMatcher(elementFilter));
    const index = array.findIndex((element) => test({ element: Array.isArray(element) ? element : [element] }));
    if (index >= 0) return index;
  }
  throw new CommandError(
    ErrorCodes.BadValue,
    'BadValue',
    'The positional operator did not find the match needed from the query.',
  );
}

function immutableId(): CommandError {
  return new CommandError(
    ErrorCodes.ImmutableField,
    'ImmutableField',
    "Performing an update on the path '_id' would modify the immutable field '_id'",
  );
}

function isOperatorUpdate(update: Document): boolean {
  const keys = Object.keys(update);
  return keys.length > 0 && keys[0].startsWith('$');
}

/**
 * A pipeline update runs on the document's view (numbers.ts); the fields it passes through get
 * their exact numbers back. What it computes follows JavaScript's numbers (an integer is an int32
 * when it fits, a double otherwise).
 */
function runPipeline(doc: Document, pipeline: Document[], evaluation: Evaluation | undefined): Document {
  const [computed] = guard(() =>
    new Aggregator(promoteView(pipeline) as AnyObject[], mingoOptions(evaluation)).run([
      copyDocument(promoteView(doc)),
    ]),
  );
  if (!computed) throw badValue('the update pipeline removed the document');
  const result = restoreNumbers(computed as Document, doc);
  // A pipeline whose output lacks `_id` (a $replaceWith, a $project) still updates the same document.
  return result._id === undefined && doc._id !== undefined ? { _id: doc._id, ...result } : result;
}

/** Operators that compute with the numbers they find; mingo would do it with JavaScript's numbers. */
const ARITHMETIC_OPERATORS = ['$inc', '$mul', '$min', '$max', '$bit'];
/** Operators whose operands mingo compares with the array's elements, or sorts. */
const COMPARING_OPERATORS = ['$addToSet', '$push'];
/** Operators whose operands are conditions or values to find: mingo gets them as numbers. */
const MATCHING_OPERATORS = ['$pull', '$pullAll'];

/**
 * The updates applySimpleUpdate leaves to mingo (arrayFilters, `$push` modifiers, `$addToSet`,
 * `$pull`, paths through arrays...). Without Long or Double objects in the document or the update,
 * mingo applies it to `next` as it always did. Otherwise mingo works on the view of `next`, and the
 * numbers it leaves unchanged get their exact objects back from `source` (the document before the
 * update); what it would compute with an int64, a double kept as an object or a Decimal128, or
 * compare with one, is refused (NotImplemented) rather than stored with a wrong type.
 * Returns the new document, or undefined when nothing changed.
 */
function updateThroughMingo(
  next: Document,
  source: Document,
  operators: Document,
  arrayFilters: Document[] | undefined,
): Document | undefined {
  refuseInexactArithmetic(next, operators);
  const exact = holdsNumberWrappers(next) || holdsNumberWrappers(operators);
  if (!exact) {
    const changed = guard(() =>
      mingoUpdate(next, operators as Modifier<Document>, arrayFilters as AnyObject[], {}, { cloneMode: 'copy' }),
    );
    return changed.length === 0 ? undefined : next;
  }
  for (const operator of COMPARING_OPERATORS) {
    if (holdsNumberWrappers(operators[operator]) && (operator === '$addToSet' || sortsPush(operators[operator]))) {
      throw notImplemented(`${operator} of an int64 or an integral double value with arrayFilters or modifiers`);
    }
  }
  if (holdsNumberWrappers(next) && operators.$rename !== undefined) {
    throw notImplemented('$rename through an array path in a document that holds int64 or integral double values');
  }
  const modifier: Document = {};
  for (const [operator, fields] of Object.entries(operators)) {
    modifier[operator] = MATCHING_OPERATORS.includes(operator) ? promoteView(fields) : fields;
  }
  const view = promoteView(next);
  const changed = guard(() =>
    mingoUpdate(
      view,
      modifier as Modifier<Document>,
      promoteView(arrayFilters) as AnyObject[],
      {},
      {
        cloneMode: 'copy',
      },
    ),
  );
  return changed.length === 0 ? undefined : restoreNumbers(view, source);
}

/** `$push: { $each, $sort }`: mingo would sort Long objects apart from numbers. */
function sortsPush(fields: unknown): boolean {
  if (fields === null || typeof fields !== 'object') return false;
  return Object.values(fields).some(
    (value) => value !== null && typeof value === 'object' && Object.hasOwn(value, '$sort'),
  );
}

/** Arithmetic mingo cannot do with MongoDB's types: on or with an int64, a Double object or a Decimal128. */
function refuseInexactArithmetic(doc: Document, operators: Document): void {
  for (const operator of ARITHMETIC_OPERATORS) {
    const fields = operators[operator];
    if (fields === null || typeof fields !== 'object') continue;
    for (const [path, operand] of Object.entries(fields as Document)) {
      const exactOperand = isExactNumber(operand) || (operator === '$bit' && holdsNumberWrappers(operand));
      if (exactOperand || valuesAtUpdatePath(doc, path).some(isExactNumber)) {
        throw notImplemented(
          `${operator} on '${path}' with an int64, an integral double or a Decimal128 through arrayFilters or an array path`,
        );
      }
    }
  }
}

function isExactNumber(value: unknown): boolean {
  if (isNumberWrapper(value)) return true;
  return value !== null && typeof value === 'object' && (value as { _bsontype?: unknown })._bsontype === 'Decimal128';
}

/** Every value an update path can reach: `$[]`, `$[id]` and positions stand for any element. */
function valuesAtUpdatePath(doc: Document, path: string): unknown[] {
  let level: unknown[] = [doc];
  for (const part of path.split('.')) {
    const reached: unknown[] = [];
    for (const node of level) {
      if (node === null || typeof node !== 'object') continue;
      if (Array.isArray(node)) {
        if (part.startsWith('$[')) for (const element of node) reached.push(element);
        else if (/^\d+$/.test(part)) reached.push(node[Number(part)]);
      } else reached.push(ownField(node, part));
    }
    level = reached;
  }
  return level;
}

function guard<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(ErrorCodes.FailedToParse, 'FailedToParse', (error as Error).message);
  }
}
