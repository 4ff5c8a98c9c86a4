import type { Document } from 'bson';
import { CommandError, ErrorCodes, badValue } from '../errors';
import { ID_INDEX } from '../collection';
import { aggregateDocuments, findDocuments, matcher, matching } from '../query';
import { valueKey, valuesAtPath } from '../values';
import { type CommandHandler, collectionName, databaseOf, optionalNumber } from './context';

const find: CommandHandler = (command, { storage, cursors }) => {
  const dbName = databaseOf(command);
  const name = collectionName(command);
  const limit = optionalNumber(command.limit);
  const docs = findDocuments(storage.collection(dbName, name), asDocument(command.filter, 'filter'), {
    sort: asOptionalDocument(command.sort, 'sort'),
    projection: asOptionalDocument(command.projection, 'projection'),
    skip: optionalNumber(command.skip),
    limit: limit === undefined ? undefined : Math.abs(limit),
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

const aggregate: CommandHandler = (command, { storage, cursors }) => {
  const dbName = databaseOf(command);
  if (!Array.isArray(command.pipeline)) throw badValue("'pipeline' must be an array");
  const name = typeof command.aggregate === 'string' ? command.aggregate : undefined;
  if (!name) throw badValue('aggregate on a database (aggregate: 1) is not supported');
  const docs = aggregateDocuments(storage.collection(dbName, name), command.pipeline as Document[]);
  const cursorOptions = asOptionalDocument(command.cursor, 'cursor');
  return { cursor: cursors.firstBatch(`${dbName}.${name}`, docs, optionalNumber(cursorOptions?.batchSize)), ok: 1 };
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
            options: {},
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
