import { ObjectId, type Document } from 'bson';
import { Collection } from './collection';
import { CommandError, badValue, duplicateKey } from './errors';
import type { Evaluation } from './evaluation';
import { matching, runPipeline } from './query';
import type { Storage } from './storage';
import { promoteView } from './numbers';
import { notImplemented } from './unsupported';
import { type WriteCheck, checkDocument } from './validation';
import { copyDocument, valueAtPath, valueKey } from './values';

/**
 * `$out` and `$merge`: the pipeline's results written into a collection through the storage, so
 * that they are journaled and checked against the target's unique indexes like any other write.
 * (mingo would only push them into an array.)
 */

/** The pipeline without its final `$out`/`$merge`, and that stage; either stage elsewhere is refused. */
export function splitOutputStage(pipeline: Document[]): { stages: Document[]; output?: Document } {
  pipeline.forEach((stage, i) => {
    const name = Object.keys(stage)[0];
    if ((name === '$out' || name === '$merge') && i !== pipeline.length - 1) {
      throw new CommandError(40601, 'Location40601', `${name} can only be the final stage in the pipeline`);
    }
  });
  const last = pipeline[pipeline.length - 1];
  const name = last ? Object.keys(last)[0] : undefined;
  return name === '$out' || name === '$merge' ? { stages: pipeline.slice(0, -1), output: last } : { stages: pipeline };
}

/** `check` carries the command's bypassDocumentValidation: the target's validator applies to what is written. */
export function writeOutput(
  storage: Storage,
  dbName: string,
  stage: Document,
  docs: Document[],
  evaluation: Evaluation,
  check: WriteCheck,
): void {
  if (stage.$out !== undefined) out(storage, target(stage.$out, dbName, '$out'), docs, check);
  else merge(storage, dbName, stage.$merge, docs, evaluation, check);
}

interface Target {
  db: string;
  coll: string;
}

function target(spec: unknown, dbName: string, stage: string): Target {
  if (typeof spec === 'string') return { db: dbName, coll: spec };
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    const { db, coll, timeseries } = spec as Document;
    if (timeseries !== undefined) throw notImplemented(`${stage}: timeseries`);
    if (typeof coll === 'string') return { db: typeof db === 'string' ? db : dbName, coll };
  }
  throw badValue(`${stage} needs a collection name or { db, coll }`);
}

function withId(doc: Document): Document {
  return doc._id === undefined ? { _id: new ObjectId(), ...copyDocument(doc) } : copyDocument(doc);
}

/** Replaces the target's documents, keeping its indexes and options; a failure leaves it untouched. */
function out(storage: Storage, to: Target, docs: Document[], check: WriteCheck): void {
  const existing = storage.collection(to.db, to.coll);
  const prepared = docs.map(withId);
  // Like MongoDB's temporary collection: everything is checked before the target changes.
  const scratch = new Collection(to.db, to.coll);
  for (const spec of existing?.indexSpecs() ?? []) scratch.createIndex(spec);
  for (const doc of prepared) {
    checkDocument(existing, doc, { bypass: check.bypass, logger: check.logger });
    scratch.insert(doc);
  }
  const collection = storage.ensureCollection(to.db, to.coll);
  for (const doc of [...collection.docs.values()]) storage.remove(collection, doc);
  for (const doc of prepared) storage.insert(collection, doc);
}

function merge(
  storage: Storage,
  dbName: string,
  raw: unknown,
  docs: Document[],
  evaluation: Evaluation,
  check: WriteCheck,
): void {
  const spec: Document =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('coll' in raw)
      ? (raw as Document)
      : { into: raw };
  const to = target(spec.into, dbName, '$merge');
  const on = spec.on === undefined ? ['_id'] : Array.isArray(spec.on) ? spec.on.map(String) : [String(spec.on)];
  const whenMatched: unknown = spec.whenMatched ?? 'merge';
  const whenNotMatched: unknown = spec.whenNotMatched ?? 'insert';
  const collection = storage.ensureCollection(to.db, to.coll);
  const index = onIndex(collection, on);
  for (const source of docs) {
    const doc = withId(source);
    const filter: Document = {};
    for (const field of on) {
      const value = valueAtPath(doc, field);
      if (value === undefined || value === null || Array.isArray(value)) {
        throw new CommandError(
          51132,
          'Location51132',
          "$merge write error: 'on' field cannot be missing, null, undefined or an array",
        );
      }
      filter[field] = value;
    }
    const [existing] = matching(collection, filter, 1);
    if (!existing) {
      if (whenNotMatched === 'insert') {
        checkDocument(collection, doc, { bypass: check.bypass, logger: check.logger });
        storage.insert(collection, doc);
      } else if (whenNotMatched === 'fail') {
        throw new CommandError(
          13113,
          'MergeStageNoMatchingDocument',
          '$merge could not find a matching document in the target collection for at least one document in the source collection',
        );
      } else if (whenNotMatched !== 'discard')
        throw badValue(`$merge: unknown whenNotMatched '${String(whenNotMatched)}'`);
      continue;
    }
    let next: Document | undefined;
    if (whenMatched === 'replace') next = { ...doc, _id: existing._id };
    else if (whenMatched === 'merge') next = { ...copyDocument(existing), ...doc };
    else if (whenMatched === 'keepExisting') continue;
    else if (whenMatched === 'fail') {
      throw duplicateKey(collection.ns, index, Object.fromEntries(on.map((f) => [f, 1])), filter);
    } else if (Array.isArray(whenMatched)) {
      next = mergePipeline(existing, source, spec.let, whenMatched as Document[], evaluation);
    } else throw badValue(`$merge: unknown whenMatched '${String(whenMatched)}'`);
    if (valueKey(next._id) !== valueKey(existing._id)) {
      throw new CommandError(
        66,
        'ImmutableField',
        "$merge failed to update the matching document, did you attempt to modify the _id or the shard key?: Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    checkDocument(collection, next, { previous: existing, bypass: check.bypass, logger: check.logger });
    storage.replace(collection, existing, next);
  }
}

/** The index that makes the `on` fields unique, as MongoDB requires of any `on` but `_id`. */
function onIndex(collection: Collection, on: string[]): string {
  if (on.length === 1 && on[0] === '_id') return '_id_';
  const wanted = [...on].sort().join(',');
  const index = collection
    .indexSpecs()
    .find((spec) => spec.unique && Object.keys(spec.key).sort().join(',') === wanted);
  if (!index) {
    throw new CommandError(51183, 'Location51183', 'Cannot find index to verify that join fields will be unique');
  }
  return index.name;
}

/** A `whenMatched` pipeline runs on the target document, with `$$new` the source one (or `let`). */
function mergePipeline(
  existing: Document,
  source: Document,
  letSpec: unknown,
  pipeline: Document[],
  evaluation: Evaluation,
): Document {
  const variables =
    letSpec === undefined ? { new: source } : (runPipeline([source], [{ $replaceWith: letSpec }], evaluation)[0] ?? {});
  const [result] = runPipeline([copyDocument(existing)], pipeline, {
    ...evaluation,
    variables: promoteView({ ...evaluation.variables, ...variables }),
  });
  if (!result) throw badValue('$merge: the whenMatched pipeline removed the document');
  return result._id === undefined ? { _id: existing._id, ...result } : result;
}
