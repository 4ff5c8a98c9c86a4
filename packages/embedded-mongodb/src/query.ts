import type { Document } from 'bson';
import { Aggregator, Query, find as mingoFind } from 'mingo';
import type { AnyObject, Criteria, Projection, SortSpec } from 'mingo/types';
import type { Collection } from './collection';
import { badValue } from './errors';
import { equalityMatcher } from './equality-filter';
import { sortBySimpleKeys } from './sort';
import { type Evaluation, mingoOptions } from './evaluation';

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

export function matcher(filter: Document, evaluation?: Evaluation): (doc: Document) => boolean {
  if (Object.keys(filter).length === 0) return () => true;
  const equality = equalityMatcher(filter);
  if (equality) return equality;
  const query = parse(() => new Query(filter as Criteria<AnyObject>, mingoOptions(evaluation)));
  return (doc) => query.test(doc);
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
  let docs = matching(collection, filter, stopAfter, options.evaluation);
  const pageEnd = options.limit ? (options.skip ?? 0) + options.limit : Infinity;
  const sorted = hasSort ? sortBySimpleKeys(docs, options.sort!, pageEnd) : docs;
  if (sorted) {
    const start = options.skip ?? 0;
    const page = options.limit ? sorted.slice(start, start + options.limit) : sorted.slice(start);
    if (!hasProjection) return page;
    return parse(() => mingoFind(page, {}, options.projection as Projection<AnyObject>).all() as Document[]);
  }
  return parse(() => {
    let cursor = mingoFind(docs, {}, hasProjection ? (options.projection as Projection<AnyObject>) : undefined);
    cursor = cursor.sort(options.sort as SortSpec);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    docs = cursor.all() as Document[];
    return docs;
  });
}

export function projectDocument(doc: Document, projection: Document): Document {
  return parse(() => mingoFind([doc], {}, projection as Projection<AnyObject>).all()[0] as Document);
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
  return countStages(input, rest) ?? runPipeline(input, rest, evaluation);
}

/** A pipeline over the given documents (which it must not modify: mingo copies what it changes). */
export function runPipeline(input: Document[], pipeline: Document[], evaluation?: Evaluation): Document[] {
  return parse(() => new Aggregator(pipeline as AnyObject[], mingoOptions(evaluation)).run(input) as Document[]);
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
