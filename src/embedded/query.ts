import type { Document } from 'bson';
import { Aggregator, Query, find as mingoFind } from 'mingo';
import type { AnyObject, Criteria, Projection, SortSpec } from 'mingo/types';
import type { Collection } from './collection';
import { badValue } from './errors';

/**
 * Reads through mingo: the collection narrows the candidates by index, mingo decides which of them
 * match, and applies sort, skip, limit and projection like MongoDB.
 */
export interface FindOptions {
  sort?: Document;
  skip?: number;
  limit?: number;
  projection?: Document;
}

export function matcher(filter: Document): (doc: Document) => boolean {
  if (Object.keys(filter).length === 0) return () => true;
  const query = parse(() => new Query(filter as Criteria<AnyObject>));
  return (doc) => query.test(doc);
}

/** Matching documents as stored (not copies): callers must not modify them. */
export function matching(collection: Collection | undefined, filter: Document, stopAfter = Infinity): Document[] {
  if (!collection) return [];
  const test = matcher(filter);
  const found: Document[] = [];
  for (const doc of collection.candidates(filter)) {
    if (!test(doc)) continue;
    found.push(doc);
    if (found.length >= stopAfter) break;
  }
  return found;
}

export function findDocuments(collection: Collection | undefined, filter: Document, options: FindOptions): Document[] {
  const hasSort = options.sort && Object.keys(options.sort).length > 0;
  const hasProjection = options.projection && Object.keys(options.projection).length > 0;
  // Without a sort, the first skip + limit matches are the answer: no need to look further.
  const stopAfter = !hasSort && options.limit ? (options.skip ?? 0) + options.limit : Infinity;
  let docs = matching(collection, filter, stopAfter);
  if (!hasSort && !hasProjection) {
    const start = options.skip ?? 0;
    return options.limit ? docs.slice(start, start + options.limit) : docs.slice(start);
  }
  return parse(() => {
    let cursor = mingoFind(docs, {}, hasProjection ? (options.projection as Projection<AnyObject>) : undefined);
    if (hasSort) cursor = cursor.sort(options.sort as SortSpec);
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
export function aggregateDocuments(collection: Collection | undefined, pipeline: Document[]): Document[] {
  const first = pipeline[0];
  const leadingMatch = first && typeof first.$match === 'object' && first.$match !== null ? (first.$match as Document) : undefined;
  const input = leadingMatch ? matching(collection, leadingMatch) : [...(collection?.docs.values() ?? [])];
  const rest = leadingMatch ? pipeline.slice(1) : pipeline;
  if (rest.length === 0) return input;
  return parse(() => new Aggregator(rest as AnyObject[]).run(input) as Document[]);
}

/** mingo throws plain errors for operators it does not know: answer them as MongoDB's BadValue. */
function parse<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw badValue((error as Error).message);
  }
}
