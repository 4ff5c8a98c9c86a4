import type { Document } from 'bson';
import { Aggregator } from './mingo';
import type { AnyObject, Options } from 'mingo/types';
import { badValue } from './errors';
import type { Storage } from './storage';
import type { Collection } from './collection';
import { storedView } from './numbers';
import { copyDocument } from './values';

/**
 * What a filter, pipeline or pipeline update may refer to beyond the document at hand: the
 * command's `let` variables (`$$name`), and the other collections of its database, which
 * `$lookup`, `$unionWith` and `$graphLookup` read.
 */
export interface Evaluation {
  variables?: Document;
  collection?: (name: string) => Document[];
  /** The collection itself, with its indexes: for the stages the engine runs without mingo. */
  collectionObject?: (name: string) => Collection | undefined;
}

/** The evaluation context of a command on database `dbName`, with its `let` if it has one. */
export function evaluationOf(command: Document, storage: Storage, dbName: string): Evaluation {
  const variables = command.let;
  if (variables !== undefined && (variables === null || typeof variables !== 'object' || Array.isArray(variables))) {
    throw badValue("'let' must be a document");
  }
  const evaluation: Evaluation = {
    // Copies of the views: mingo must not be able to change stored documents through a joined one.
    // (Numbers joined from them are JS numbers: only the pipeline's own input gets its types back.)
    collection: (name) =>
      [...(storage.collection(dbName, name)?.docs.values() ?? [])].map((doc) => copyDocument(storedView(doc))),
    collectionObject: (name) => storage.collection(dbName, name),
  };
  if (variables === undefined) return evaluation;
  // `let` values are expressions ({ $literal: '$x' } is the string '$x'), evaluated once, on no document.
  try {
    const [evaluated] = new Aggregator([{ $replaceWith: variables }], mingoOptions(evaluation)).run([{}]);
    return { ...evaluation, variables: evaluated as Document };
  } catch (error) {
    throw badValue(`let: ${(error as Error).message}`);
  }
}

export function mingoOptions(evaluation: Evaluation | undefined): Partial<Options> {
  if (!evaluation) return {};
  const resolver = evaluation.collection;
  return {
    ...(evaluation.variables ? { variables: evaluation.variables as AnyObject } : {}),
    ...(resolver ? { collectionResolver: (name: string) => resolver(name) as AnyObject[] } : {}),
  };
}
