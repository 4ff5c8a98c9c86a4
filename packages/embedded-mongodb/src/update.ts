import { ObjectId, type Document } from 'bson';
import { Aggregator, update as mingoUpdate } from 'mingo';
import type { AnyObject } from 'mingo/types';
import type { Modifier } from 'mingo/updater';
import { CommandError, ErrorCodes, badValue } from './errors';
import { copyDocument, valueAtPath, valueKey } from './values';
import { matcher } from './query';
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
      const changed = guard(() =>
        mingoUpdate(
          next,
          resolved as Modifier<Document>,
          options.arrayFilters as AnyObject[],
          {},
          { cloneMode: 'copy' },
        ),
      );
      if (changed.length === 0 && !options.isInsert) return undefined;
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
    const test = guard(() => matcher(elementFilter));
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

function runPipeline(doc: Document, pipeline: Document[], evaluation: Evaluation | undefined): Document {
  const [result] = guard(() =>
    new Aggregator(pipeline as AnyObject[], mingoOptions(evaluation)).run([copyDocument(doc)]),
  );
  if (!result) throw badValue('the update pipeline removed the document');
  // A pipeline whose output lacks `_id` (a $replaceWith, a $project) still updates the same document.
  return result._id === undefined && doc._id !== undefined ? { _id: doc._id, ...result } : (result as Document);
}

function guard<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(ErrorCodes.FailedToParse, 'FailedToParse', (error as Error).message);
  }
}
