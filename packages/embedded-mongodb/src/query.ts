import type { Document } from 'bson';
import { Aggregator, Query, find as mingoFind } from './mingo';
import type { AnyObject, Criteria, Projection, SortSpec } from 'mingo/types';
import type { Collection } from './collection';
import { badValue } from './errors';
import { equalityMatcher } from './equality-filter';
import { sortBySimpleKeys } from './sort';
import { type Evaluation, mingoOptions } from './evaluation';
import { promoteView, restoreNumbers, storedView } from './numbers';
import { isScalar, valueKey, valuesAtPath } from './values';

/**
 * Reads through mingo: the collection narrows the candidates by index, mingo decides which of them
 * match (plain equalities are tested directly: equality-filter.ts), and applies sort, skip, limit
 * and projection like MongoDB.
 */
export interface FindOptions {
  sort?: Document;
  skip?: number;
  limit?: number;
  projection?: Document;
  evaluation?: Evaluation;
}

/** A test for stored documents (mingo gets their views: numbers.ts). */
export function matcher(filter: Document, evaluation?: Evaluation): (doc: Document) => boolean {
  if (Object.keys(filter).length === 0) return () => true;
  const equality = equalityMatcher(filter);
  if (equality) return equality;
  const query = parse(() => new Query(promoteView(filter) as Criteria<AnyObject>, mingoOptions(evaluation)));
  return (doc) => query.test(storedView(doc));
}

/** A test for any value, stored or not (an array element, a document being built). */
export function valueMatcher(filter: Document, evaluation?: Evaluation): (doc: Document) => boolean {
  const equality = Object.keys(filter).length === 0 ? () => true : equalityMatcher(filter);
  if (equality) return equality;
  const query = parse(() => new Query(promoteView(filter) as Criteria<AnyObject>, mingoOptions(evaluation)));
  return (doc) => query.test(promoteView(doc));
}

/** Matching documents as stored (not copies): callers must not modify them. */
export function matching(
  collection: Collection | undefined,
  filter: Document,
  stopAfter = Infinity,
  evaluation?: Evaluation,
): Document[] {
  if (!collection) return [];
  const test = matcher(filter, evaluation);
  const found: Document[] = [];
  for (const doc of collection.candidates(filter)) {
    if (!test(doc)) continue;
    found.push(doc);
    if (found.length >= stopAfter) break;
  }
  return found;
}

export function findDocuments(collection: Collection | undefined, filter: Document, options: FindOptions): Document[] {
  const hasSort = options.sort !== undefined && Object.keys(options.sort).length > 0;
  const hasProjection = options.projection !== undefined && Object.keys(options.projection).length > 0;
  // Without a sort, the first skip + limit matches are the answer: no need to look further.
  const stopAfter = !hasSort && options.limit ? (options.skip ?? 0) + options.limit : Infinity;
  const docs = matching(collection, filter, stopAfter, options.evaluation);
  const pageEnd = options.limit ? (options.skip ?? 0) + options.limit : Infinity;
  const sorted = hasSort ? sortBySimpleKeys(docs, options.sort!, pageEnd) : docs;
  let page: Document[];
  if (sorted) {
    const start = options.skip ?? 0;
    page = options.limit ? sorted.slice(start, start + options.limit) : sorted.slice(start);
  } else {
    // mingo sorts the views; the page is made of the stored documents they stand for.
    const views = docs.map(storedView);
    const exactOf = new Map<Document, Document>();
    views.forEach((view, i) => view !== docs[i] && exactOf.set(view, docs[i]));
    page = parse(() => {
      let cursor = mingoFind(views, {}).sort(promoteView(options.sort) as SortSpec);
      if (options.skip) cursor = cursor.skip(options.skip);
      if (options.limit) cursor = cursor.limit(options.limit);
      return (cursor.all() as Document[]).map((view) => exactOf.get(view) ?? view);
    });
  }
  return hasProjection ? project(page, options.projection!, storedView) : page;
}

/** A projection of documents as mingo computes it on their views, with their exact numbers put back. */
function project(docs: Document[], projection: Document, view: (doc: Document) => Document): Document[] {
  const views = docs.map(view);
  const projected = parse(
    () => mingoFind(views, {}, promoteView(projection) as Projection<AnyObject>).all() as Document[],
  );
  return projected.map((out, i) => (views[i] === docs[i] ? out : restoreNumbers(out, docs[i])));
}

/** One document (stored or about to be), projected. */
export function projectDocument(doc: Document, projection: Document): Document {
  return project([doc], projection, promoteView)[0];
}

/** Runs a pipeline; a leading $match uses the collection's indexes. */
export function aggregateDocuments(
  collection: Collection | undefined,
  pipeline: Document[],
  evaluation?: Evaluation,
): Document[] {
  const first = pipeline[0];
  const leadingMatch =
    first && typeof first.$match === 'object' && first.$match !== null ? (first.$match as Document) : undefined;
  const input = leadingMatch
    ? matching(collection, leadingMatch, Infinity, evaluation)
    : [...(collection?.docs.values() ?? [])];
  const rest = leadingMatch ? pipeline.slice(1) : pipeline;
  if (rest.length === 0) return input;
  return (
    countStages(input, rest) ??
    nativeStages(input, rest, evaluation) ??
    runPipeline(input, rest, evaluation, storedView)
  );
}

/**
 * `$limit`, `$skip` and `$lookup` by a local and a foreign field that the foreign collection
 * indexes (`_id` or a single-field index), run without mingo, whose `$lookup` reads a copy of the
 * whole foreign collection for every command: the session store reads a session and its user this
 * way on every page view. Undefined unless every stage is one of these, with a plain spec (no
 * `let` or `pipeline`, a plain `as`, local values that an index finds exactly).
 */
function nativeStages(input: Document[], stages: Document[], evaluation?: Evaluation): Document[] | undefined {
  let docs = input;
  for (const stage of stages) {
    const name = onlyKey(stage);
    if (name === '$limit' && isCount(stage.$limit) && stage.$limit > 0) docs = docs.slice(0, stage.$limit);
    else if (name === '$skip' && isCount(stage.$skip)) docs = docs.slice(stage.$skip);
    else if (name === '$lookup') {
      const joined = indexedLookup(docs, stage.$lookup, evaluation);
      if (!joined) return undefined;
      docs = joined;
    } else return undefined;
  }
  return docs;
}

function indexedLookup(docs: Document[], spec: unknown, evaluation?: Evaluation): Document[] | undefined {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return undefined;
  const { from, localField, foreignField, as, ...others } = spec as Document;
  if (Object.keys(others).length > 0) return undefined;
  if (![from, localField, foreignField, as].every((value) => typeof value === 'string' && value !== ''))
    return undefined;
  if ((as as string).includes('.') || (as as string).startsWith('$')) return undefined;
  const foreign = evaluation?.collectionObject?.(from as string);
  const byId = foreignField === '_id';
  if (foreign && !byId && !foreign.hasSingleFieldIndex(foreignField as string)) return undefined;
  const joinedDocs: Document[] = [];
  for (const doc of docs) {
    const locals = valuesAtPath(doc, localField as string).filter((value) => value !== undefined && value !== null);
    // A missing or null local value matches foreign documents whose field is null or missing: never `_id`.
    const missing = locals.length < valuesAtPath(doc, localField as string).length || locals.length === 0;
    if ((missing && !byId) || !locals.every((value) => isScalar(value))) return undefined;
    const matches = foreign ? foreign.findByValues(foreignField as string, locals) : [];
    joinedDocs.push({ ...doc, [as as string]: matches });
  }
  return joinedDocs;
}

/**
 * A pipeline over the given documents (which it must not modify: mingo copies what it changes).
 * mingo runs on their views; a result document with the `_id` of an input document that holds
 * exact numbers gets them back wherever it has the same number at the same place (fields passed
 * through). `view` is `storedView` for stored documents, `promoteView` for any others.
 */
export function runPipeline(
  input: Document[],
  pipeline: Document[],
  evaluation?: Evaluation,
  view: (doc: Document) => Document = promoteView,
): Document[] {
  const views = input.map(view);
  const output = parse(
    () => new Aggregator(promoteView(pipeline) as AnyObject[], mingoOptions(evaluation)).run(views) as Document[],
  );
  const exactOf = new Map<Document, Document>();
  const exactById = new Map<string, Document>();
  views.forEach((doc, i) => {
    if (doc === input[i]) return;
    exactOf.set(doc, input[i]);
    if (input[i]._id !== undefined) exactById.set(valueKey(input[i]._id), input[i]);
  });
  if (exactOf.size === 0) return output;
  return output.map((doc) => {
    const same = exactOf.get(doc);
    if (same) return same;
    const source = doc._id === undefined ? undefined : exactById.get(valueKey(doc._id));
    return source ? restoreNumbers(doc, source) : doc;
  });
}

/**
 * The driver's countDocuments sends `$match`, then optionally `$skip` and `$limit`, then
 * `{ $group: { _id: 1, n: { $sum: 1 } } }`. That is a length, not a grouping: answered without
 * mingo, which would hash every document. Undefined for any other pipeline.
 */
function countStages(input: Document[], stages: Document[]): Document[] | undefined {
  const rest = [...stages];
  const skip = rest[0] && onlyKey(rest[0]) === '$skip' ? rest.shift()!.$skip : 0;
  const limit = rest[0] && onlyKey(rest[0]) === '$limit' ? rest.shift()!.$limit : Infinity;
  if (
    rest.length !== 1 ||
    onlyKey(rest[0]) !== '$group' ||
    !isCount(skip) ||
    !(limit === Infinity || (isCount(limit) && limit > 0))
  ) {
    return undefined;
  }
  const field = countGroupField(rest[0].$group);
  if (field === undefined) return undefined;
  const n = Math.min(Math.max(input.length - skip, 0), limit);
  return n === 0 ? [] : [{ _id: (rest[0].$group as Document)._id, [field]: n }];
}

function onlyKey(stage: Document): string | undefined {
  const keys = Object.keys(stage);
  return keys.length === 1 ? keys[0] : undefined;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** The field of a `{ _id: <a constant>, <field>: { $sum: 1 } }` group. */
function countGroupField(group: unknown): string | undefined {
  if (group === null || typeof group !== 'object' || Array.isArray(group)) return undefined;
  const { _id: id, ...fields } = group as Document;
  const constantId =
    id === null || typeof id === 'number' || typeof id === 'boolean' || (typeof id === 'string' && !id.startsWith('$'));
  const entries = Object.entries(fields);
  if (!constantId || entries.length !== 1 || entries[0][0].startsWith('$')) return undefined;
  const [field, accumulator] = entries[0] as [string, Document | null];
  const isSumOfOne =
    accumulator !== null &&
    typeof accumulator === 'object' &&
    Object.keys(accumulator).length === 1 &&
    accumulator.$sum === 1;
  return isSumOfOne ? field : undefined;
}

/** mingo throws plain errors for operators it does not know: answer them as MongoDB's BadValue. */
function parse<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw badValue((error as Error).message);
  }
}
