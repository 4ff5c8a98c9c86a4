import type { Document } from 'bson';
import { CommandError, ErrorCodes, badValue } from '../errors';
import type { Collection } from '../collection';
import type { IndexSpec } from '../persistence-types';
import type { Storage } from '../storage';
import { type CommandHandler, collectionName, databaseOf, optionalNumber } from './context';
import { notImplemented, refuseCollation, refuseFields } from '../unsupported';
import { parseCollectionOptions } from '../collection-options';

/**
 * Collection options that change what a collection is or accepts. The engine has ordinary
 * collections with validators, so each of these is refused by name rather than dropped (a view
 * would come out empty, a capped collection would never drop a document).
 */
const UNSUPPORTED_CREATE_OPTIONS = [
  'viewOn',
  'pipeline',
  'timeseries',
  'expireAfterSeconds',
  'clusteredIndex',
  'capped',
  'size',
  'max',
  'encryptedFields',
  'storageEngine',
  'indexOptionDefaults',
];

/** Index options the engine's indexes do not have; accepting them would enforce something else. */
const UNSUPPORTED_INDEX_OPTIONS = [
  'partialFilterExpression',
  'hidden',
  'wildcardProjection',
  'weights',
  'default_language',
  'language_override',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
  'clustered',
];

const create: CommandHandler = (command, { storage }) => {
  const dbName = databaseOf(command);
  const name = collectionName(command);
  refuseFields(command, UNSUPPORTED_CREATE_OPTIONS, 'create');
  refuseCollation(command.collation, 'create');
  if (storage.collection(dbName, name)) {
    throw new CommandError(
      ErrorCodes.NamespaceExists,
      'NamespaceExists',
      `Collection ${dbName}.${name} already exists.`,
    );
  }
  storage.createCollection(dbName, name, parseCollectionOptions(command, `${dbName}.${name}`, 'create'));
  return { ok: 1 };
};

/** Like MongoDB 7, dropping a collection that does not exist succeeds. */
const drop: CommandHandler = (command, { storage }) => {
  const dbName = databaseOf(command);
  const name = collectionName(command);
  const collection = storage.collection(dbName, name);
  const nIndexesWas = collection ? collection.indexSpecs().length + 1 : 0;
  storage.dropCollection(dbName, name);
  return { nIndexesWas, ns: `${dbName}.${name}`, ok: 1 };
};

const dropDatabase: CommandHandler = (command, { storage }) => {
  const dbName = databaseOf(command);
  storage.dropDatabase(dbName);
  return { dropped: dbName, ok: 1 };
};

const listDatabases: CommandHandler = (command, { storage }) => {
  const databases = storage.databaseNames().map((name) => ({ name, sizeOnDisk: 0, empty: false }));
  return command.nameOnly
    ? { databases: databases.map(({ name }) => ({ name })), ok: 1 }
    : { databases, totalSize: 0, ok: 1 };
};

const createIndexes: CommandHandler = (command, { storage }) => {
  if (!Array.isArray(command.indexes)) throw badValue("'indexes' must be an array");
  const dbName = databaseOf(command);
  const name = collectionName(command);
  const existed = storage.collection(dbName, name) !== undefined;
  const collection = storage.ensureCollection(dbName, name);
  const before = collection.indexSpecs().length + 1;
  for (const raw of command.indexes as Document[]) {
    refuseFields(raw, UNSUPPORTED_INDEX_OPTIONS, 'createIndexes');
    refuseCollation(raw.collation, 'createIndexes');
    const spec = toIndexSpec(raw);
    if (spec.name === '_id_' || isIdKey(spec.key)) continue;
    const current = collection.indexSpecs().find((existing) => existing.name === spec.name);
    if (current) {
      if (!sameIndex(current, spec)) {
        throw new CommandError(
          ErrorCodes.IndexKeySpecsConflict,
          'IndexKeySpecsConflict',
          `An existing index has the same name as the requested index but different options: ${spec.name}`,
        );
      }
      continue;
    }
    const sameKey = collection.indexSpecs().find((existing) => sameKeys(existing.key, spec.key));
    if (sameKey) {
      if (sameIndex({ ...sameKey, name: spec.name }, spec)) continue;
      throw new CommandError(
        ErrorCodes.IndexOptionsConflict,
        'IndexOptionsConflict',
        `An equivalent index already exists with a different name and options: ${sameKey.name}`,
      );
    }
    storage.createIndex(collection, spec);
  }
  return {
    createdCollectionAutomatically: !existed,
    numIndexesBefore: before,
    numIndexesAfter: collection.indexSpecs().length + 1,
    ok: 1,
  };
};

const dropIndexes: CommandHandler = (command, { storage }) => {
  const dbName = databaseOf(command);
  const name = collectionName(command);
  const collection = storage.collection(dbName, name);
  if (!collection)
    throw new CommandError(ErrorCodes.NamespaceNotFound, 'NamespaceNotFound', `ns not found ${dbName}.${name}`);
  const nIndexesWas = collection.indexSpecs().length + 1;
  const wanted = command.index;
  const specs = collection.indexSpecs();
  let names: string[];
  if (wanted === '*') names = specs.map((spec) => spec.name);
  else if (typeof wanted === 'string') names = [wanted];
  else if (Array.isArray(wanted)) names = wanted.map(String);
  else if (wanted && typeof wanted === 'object') {
    names = specs.filter((spec) => sameKeys(spec.key, wanted as Document)).map((spec) => spec.name);
    if (names.length === 0) names = ['(no index with that key)'];
  } else throw badValue("'index' must be a name, a key pattern, a list of names or '*'");
  for (const indexName of names) {
    if (indexName === '_id_') throw badValue('cannot drop _id index');
    if (!storage.dropIndex(collection, indexName)) {
      throw new CommandError(ErrorCodes.IndexNotFound, 'IndexNotFound', `index not found with name [${indexName}]`);
    }
  }
  return { nIndexesWas, ok: 1 };
};

/**
 * collMod: a collection's validator, validationLevel, validationAction and
 * changeStreamPreAndPostImages, and an index's
 * `expireAfterSeconds`, `prepareUnique` and `unique`; every other modification is refused by name. Everything is checked
 * before anything changes.
 */
const collMod: CommandHandler = (command, { storage }) => {
  const dbName = databaseOf(command);
  const name = collectionName(command);
  const collection = storage.collection(dbName, name);
  if (!collection)
    throw new CommandError(ErrorCodes.NamespaceNotFound, 'NamespaceNotFound', `ns does not exist: ${dbName}.${name}`);
  const ignored = new Set([
    'collMod',
    'index',
    'validator',
    'validationLevel',
    'validationAction',
    'changeStreamPreAndPostImages',
    'writeConcern',
    'comment',
    'lsid',
    '$db',
    '$readPreference',
  ]);
  const other = Object.keys(command).find((field) => !ignored.has(field) && !field.startsWith('$'));
  if (other) throw notImplemented(`collMod: option '${other}'`);
  const changed = parseCollectionOptions(command, collection.ns, 'collMod');
  const indexChange = command.index === undefined ? undefined : planIndexChange(collection, command.index);
  if (Object.keys(changed).length > 0) storage.setOptions(collection, { ...collection.options, ...changed });
  return { ...indexChange?.(storage), ok: 1 };
};

/**
 * Checks an index modification and returns what applies it, answering collMod's fields for it:
 * a TTL index's `expireAfterSeconds`, `prepareUnique`, and `unique: true` once prepareUnique is
 * set and no two documents share a key (mongod's two steps to a unique index).
 */
function planIndexChange(collection: Collection, change: unknown): (storage: Storage) => Document {
  if (change === null || typeof change !== 'object' || Array.isArray(change)) {
    throw new CommandError(14, 'TypeMismatch', "'index' must be a document");
  }
  const { keyPattern, name: indexName, expireAfterSeconds, unique, prepareUnique, ...rest } = change as Document;
  const unsupported = Object.keys(rest)[0];
  if (unsupported) throw notImplemented(`collMod: index option '${unsupported}'`);
  if (indexName !== undefined && keyPattern !== undefined)
    throw invalidOptions('Cannot specify both key pattern and name.');
  if (indexName === undefined && keyPattern === undefined) {
    throw invalidOptions('Must specify either index name or key pattern.');
  }
  if (expireAfterSeconds === undefined && unique === undefined && prepareUnique === undefined) {
    throw invalidOptions('no expireAfterSeconds, hidden, unique, or prepareUnique field');
  }
  const current = collection
    .indexSpecs()
    .find((spec) =>
      typeof indexName === 'string' ? spec.name === indexName : sameKeys(spec.key, (keyPattern ?? {}) as Document),
    );
  if (!current) {
    const which = typeof indexName === 'string' ? indexName : JSON.stringify(keyPattern);
    throw new CommandError(
      ErrorCodes.IndexNotFound,
      'IndexNotFound',
      `cannot find index ${which} for ns ${collection.ns}`,
    );
  }
  const next: IndexSpec = { ...current };
  const reply: Document = {};
  const seconds = optionalNumber(expireAfterSeconds);
  if (seconds !== undefined) {
    if (current.expireAfterSeconds === undefined) throw badValue('no expireAfterSeconds field to update');
    next.expireAfterSeconds = seconds;
    reply.expireAfterSeconds_old = current.expireAfterSeconds;
    reply.expireAfterSeconds_new = seconds;
  }
  if (unique !== undefined) {
    if (!unique) throw badValue('Cannot make index non-unique');
    if (!current.unique) {
      if (!current.prepareUnique) {
        throw invalidOptions("Cannot make index unique with 'prepareUnique=false'. Run collMod to set it first.");
      }
      const violations = collection.duplicateGroups(current.name);
      if (violations.length > 0) {
        throw new CommandError(
          359,
          'CannotConvertIndexToUnique',
          'Cannot convert the index to unique. Please resolve conflicting documents before running collMod again.',
          { violations: violations.map((ids) => ({ ids })) },
        );
      }
      next.unique = true;
      reply.unique_new = true;
    }
  }
  if (prepareUnique !== undefined) {
    const wanted = !!prepareUnique;
    if (!current.unique && !!current.prepareUnique !== wanted) {
      if (wanted) next.prepareUnique = true;
      else delete next.prepareUnique;
      reply.prepareUnique_old = !wanted;
      reply.prepareUnique_new = wanted;
    }
  }
  if (Object.keys(reply).length === 0) return () => ({});
  return (storage) => {
    storage.dropIndex(collection, current.name);
    storage.createIndex(collection, next);
    return reply;
  };
}

function invalidOptions(message: string): CommandError {
  return new CommandError(ErrorCodes.InvalidOptions, 'InvalidOptions', message);
}

function toIndexSpec(raw: Document): IndexSpec {
  const key = raw.key;
  if (!key || typeof key !== 'object' || Object.keys(key).length === 0)
    throw badValue("an index needs a non-empty 'key'");
  const normalized: Record<string, 1 | -1> = {};
  for (const [field, direction] of Object.entries(key as Document)) {
    const value = Number(direction);
    if (value !== 1 && value !== -1)
      throw badValue(`index key ${field}: only ascending (1) and descending (-1) keys are supported`);
    normalized[field] = value;
  }
  const name =
    typeof raw.name === 'string' && raw.name
      ? raw.name
      : Object.entries(normalized)
          .map(([f, d]) => `${f}_${d}`)
          .join('_');
  const spec: IndexSpec = { name, key: normalized };
  if (raw.unique) spec.unique = true;
  if (raw.sparse) spec.sparse = true;
  if (raw.prepareUnique) spec.prepareUnique = true;
  const ttl = optionalNumber(raw.expireAfterSeconds);
  if (ttl !== undefined) {
    if (Object.keys(normalized).length !== 1) throw badValue('TTL indexes are single-field indexes');
    spec.expireAfterSeconds = ttl;
  }
  return spec;
}

function isIdKey(key: Record<string, number>): boolean {
  const fields = Object.keys(key);
  return fields.length === 1 && fields[0] === '_id';
}

function sameKeys(a: Document, b: Document): boolean {
  const aEntries = Object.entries(a);
  const bEntries = Object.entries(b);
  return (
    aEntries.length === bEntries.length &&
    aEntries.every(([field, dir], i) => bEntries[i][0] === field && Number(bEntries[i][1]) === Number(dir))
  );
}

function sameIndex(a: IndexSpec, b: IndexSpec): boolean {
  return (
    sameKeys(a.key, b.key) &&
    !!a.unique === !!b.unique &&
    !!a.sparse === !!b.sparse &&
    a.expireAfterSeconds === b.expireAfterSeconds
  );
}

export const ddlCommands: Record<string, CommandHandler> = {
  create,
  drop,
  dropDatabase,
  listDatabases,
  createIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
  collMod,
};
