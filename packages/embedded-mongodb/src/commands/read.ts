import type { Document } from 'bson';
import { CommandError, ErrorCodes, badValue } from '../errors';
import { ID_INDEX } from '../collection';
import { aggregateDocuments, findDocuments, matcher, matching, runPipeline } from '../query';
import { valueKey, valuesAtPath } from '../values';
import { type CommandHandler, collectionName, databaseOf, optionalNumber } from './context';
import { evaluationOf } from '../evaluation';
import { splitOutputStage, writeOutput } from '../aggregate-output';
import { notImplemented, refuseCollation, refuseFields } from '../unsupported';
import { collectionOptionsOf } from '../collection-options';

const LIST_LOCAL_SESSIONS = '$listLocalSessions';

/** find options that would change the answer and that the engine does not implement. */
const UNSUPPORTED_FIND_OPTIONS = ['min', 'max', 'returnKey', 'showRecordId', 'tailable', 'awaitData', 'oplogReplay'];

const find: CommandHandler = (command, { storage, cursors }) => {
  const dbName = databaseOf(command);
  const name = collectionName(command);
  refuseCollation(command.collation, 'find');
  refuseFields(command, UNSUPPORTED_FIND_OPTIONS, 'find');
  const limit = optionalNumber(command.limit);
  const docs = findDocuments(storage.collection(dbName, name), asDocument(command.filter, 'filter'), {
    sort: asOptionalDocument(command.sort, 'sort'),
    projection: asOptionalDocument(command.projection, 'projection'),
    skip: optionalNumber(command.skip),
    limit: limit === undefined ? undefined : Math.abs(limit),
    evaluation: evaluationOf(command, storage, dbName),
  });
  const singleBatch = command.singleBatch === true || (limit !== undefined && limit < 0);
  return {
    cursor: cursors.firstBatch(`${dbName}.${name}`, docs, optionalNumber(command.batchSize), singleBatch),
    ok: 1,
  };
};

const getMore: CommandHandler = (command, { cursors }) => {
  const id = Number(command.getMore);
  const cursor = cursors.nextBatch(id, optionalNumber(command.batchSize));
  if (!cursor) throw new CommandError(ErrorCodes.CursorNotFound, 'CursorNotFound', `cursor id ${id} not found`);
  return { cursor, ok: 1 };
};

const killCursors: CommandHandler = (command, { cursors }) => {
  const ids = Array.isArray(command.cursors) ? command.cursors.map(Number) : [];
  const killed = ids.filter((id) => cursors.kill(id));
  const notFound = ids.filter((id) => !killed.includes(id));
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

const count: CommandHandler = (command, { storage }) => {
  refuseCollation(command.collation, 'count');
  const found = matching(
    storage.collection(databaseOf(command), collectionName(command)),
    asDocument(command.query, 'query'),
  );
  const skip = optionalNumber(command.skip) ?? 0;
  const limit = optionalNumber(command.limit);
  let n = Math.max(0, found.length - skip);
  if (limit) n = Math.min(n, Math.abs(limit));
  return { n, ok: 1 };
};

const distinct: CommandHandler = (command, { storage }) => {
  if (typeof command.key !== 'string') throw badValue("'key' must be a string");
  refuseCollation(command.collation, 'distinct');
  const found = matching(
    storage.collection(databaseOf(command), collectionName(command)),
    asDocument(command.query, 'query'),
  );
  const values = new Map<string, unknown>();
  for (const doc of found) {
    for (const value of valuesAtPath(doc, command.key)) {
      if (value !== undefined) values.set(valueKey(value), value);
    }
  }
  return { values: [...values.values()], ok: 1 };
};

const aggregate: CommandHandler = (command, { storage, cursors, sessions, logger }) => {
  const dbName = databaseOf(command);
  if (!Array.isArray(command.pipeline)) throw badValue("'pipeline' must be an array");
  refuseCollation(command.collation, 'aggregate');
  refuseFields(command, ['explain'], 'aggregate');
  const name = typeof command.aggregate === 'string' ? command.aggregate : undefined;
  const evaluation = evaluationOf(command, storage, dbName);
  const { stages, output } = splitOutputStage(command.pipeline as Document[]);
  const first = stages[0] ? Object.keys(stages[0])[0] : undefined;
  if (stages.slice(1).some((stage) => Object.hasOwn(stage, LIST_LOCAL_SESSIONS))) {
    throw new CommandError(
      40602,
      'Location40602',
      `${LIST_LOCAL_SESSIONS} is only valid as the first stage in a pipeline`,
    );
  }
  let docs: Document[];
  if (name) {
    if (first === LIST_LOCAL_SESSIONS) {
      throw new CommandError(
        ErrorCodes.InvalidNamespace,
        'InvalidNamespace',
        `${LIST_LOCAL_SESSIONS} must be run against the database with {aggregate: 1}, not a collection`,
      );
    }
    docs = aggregateDocuments(storage.collection(dbName, name), stages, evaluation);
  } else if (command.aggregate === 1 && first === LIST_LOCAL_SESSIONS) {
    docs = runPipeline(sessions.list((stages[0] as Document)[LIST_LOCAL_SESSIONS]), stages.slice(1), evaluation);
  } else {
    // `aggregate: 1` runs on no collection: only a pipeline that makes its own documents can.
    if (command.aggregate !== 1 || first !== '$documents') {
      throw notImplemented(
        `aggregate on a database with a first stage other than $documents or ${LIST_LOCAL_SESSIONS} (${first ?? 'none'})`,
      );
    }
    docs = runPipeline([], stages, evaluation);
  }
  if (output) {
    writeOutput(storage, dbName, output, docs, evaluation, {
      bypass: command.bypassDocumentValidation === true,
      logger,
    });
    docs = [];
  }
  const cursorOptions = asOptionalDocument(command.cursor, 'cursor');
  const ns = `${dbName}.${name ?? '$cmd.aggregate'}`;
  return { cursor: cursors.firstBatch(ns, docs, optionalNumber(cursorOptions?.batchSize)), ok: 1 };
};

const listCollections: CommandHandler = (command, { storage, cursors }) => {
  const dbName = databaseOf(command);
  const test = matcher(asDocument(command.filter, 'filter'));
  const infos = storage
    .collections(dbName)
    .map((collection) =>
      command.nameOnly
        ? { name: collection.name, type: 'collection' }
        : {
            name: collection.name,
            type: 'collection',
            options: collectionOptionsOf(collection.options),
            info: { readOnly: false },
            idIndex: { v: 2, key: ID_INDEX.key, name: ID_INDEX.name },
          },
    )
    .filter(test);
  const cursorOptions = asOptionalDocument(command.cursor, 'cursor');
  return {
    cursor: cursors.firstBatch(`${dbName}.$cmd.listCollections`, infos, optionalNumber(cursorOptions?.batchSize)),
    ok: 1,
  };
};

const listIndexes: CommandHandler = (command, { storage, cursors }) => {
  const dbName = databaseOf(command);
  const name = collectionName(command);
  const collection = storage.collection(dbName, name);
  if (!collection)
    throw new CommandError(ErrorCodes.NamespaceNotFound, 'NamespaceNotFound', `ns does not exist: ${dbName}.${name}`);
  const specs = [ID_INDEX, ...collection.indexSpecs()].map((spec) => ({ v: 2, ...spec }));
  return { cursor: cursors.firstBatch(`${dbName}.${name}`, specs, undefined), ok: 1 };
};

export const readCommands: Record<string, CommandHandler> = {
  find,
  getMore,
  killCursors,
  count,
  distinct,
  aggregate,
  listCollections,
  listIndexes,
};

export function asDocument(value: unknown, field: string): Document {
  return asOptionalDocument(value, field) ?? {};
}

export function asOptionalDocument(value: unknown, field: string): Document | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badValue(`'${field}' must be a document`);
  return value as Document;
}
