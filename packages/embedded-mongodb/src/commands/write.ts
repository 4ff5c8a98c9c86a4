import { ObjectId, type Document } from 'bson';
import { CommandError, badValue } from '../errors';
import { findDocuments, matching, projectDocument } from '../query';
import { applyUpdate, upsertDocument } from '../update';
import { asDocument, asOptionalDocument } from './read';
import { type CommandHandler, collectionName, databaseOf } from './context';
import { evaluationOf } from '../evaluation';
import { checkIdValue, refuseCollation, unknownField } from '../unsupported';
import { checkDocument } from '../validation';

interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [extra: string]: unknown;
}

/**
 * Runs each statement of a batch; a failed statement becomes a writeError and, in an ordered
 * batch (the default), stops the rest, exactly as MongoDB reports it to the drivers.
 */
function runBatch<T>(statements: T[], ordered: boolean, run: (statement: T, index: number) => void): WriteError[] {
  const errors: WriteError[] = [];
  for (let index = 0; index < statements.length; index++) {
    try {
      run(statements[index], index);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      errors.push({ index, code: error.code, codeName: error.codeName, errmsg: error.message, ...error.extra });
      if (ordered) break;
    }
  }
  return errors;
}

function withWriteErrors(reply: Document, errors: WriteError[]): Document {
  return errors.length > 0 ? { ...reply, writeErrors: errors } : reply;
}

const insert: CommandHandler = (command, { storage, logger }) => {
  const documents = command.documents;
  if (!Array.isArray(documents)) throw badValue("'documents' must be an array");
  const collection = storage.ensureCollection(databaseOf(command), collectionName(command));
  const bypass = command.bypassDocumentValidation === true;
  let n = 0;
  const errors = runBatch(documents as Document[], command.ordered !== false, (doc) => {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
      throw badValue('a document to insert must be an object');
    checkIdValue(doc._id);
    const stored = doc._id === undefined ? { _id: new ObjectId(), ...doc } : doc;
    checkDocument(collection, stored, { bypass, logger });
    storage.insert(collection, stored);
    n++;
  });
  return withWriteErrors({ n, ok: 1 }, errors);
};

interface UpdateStatement {
  q?: Document;
  u?: Document | Document[];
  upsert?: boolean;
  multi?: boolean;
  arrayFilters?: Document[];
  collation?: Document;
  sort?: Document;
}

const update: CommandHandler = (command, { storage, logger }) => {
  if (!Array.isArray(command.updates)) throw badValue("'updates' must be an array");
  const dbName = databaseOf(command);
  const name = collectionName(command);
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const evaluation = evaluationOf(command, storage, dbName);
  const bypass = command.bypassDocumentValidation === true;
  const statements = command.updates as UpdateStatement[];
  // MongoDB 7.0 knows no `sort` in an update statement (8.0 added it): the whole command is
  // refused by its parser, before any statement runs.
  if (statements.some((statement) => statement.sort !== undefined)) throw unknownField('update.updates.sort');
  const errors = runBatch(statements, command.ordered !== false, (statement, index) => {
    refuseCollation(statement.collation, 'update');
    const filter = asDocument(statement.q, 'q');
    const change = statement.u;
    if (change === undefined || change === null || typeof change !== 'object')
      throw badValue("'u' must be a document or a pipeline");
    const collection = storage.collection(dbName, name);
    const targets = matching(collection, filter, statement.multi ? Infinity : 1, evaluation);
    for (const doc of targets) {
      const next = applyUpdate(doc, change, {
        filter,
        arrayFilters: statement.arrayFilters,
        isInsert: false,
        evaluation,
      });
      if (next && collection) {
        checkDocument(collection, next, { previous: doc, bypass, logger });
        storage.replace(collection, doc, next);
        nModified++;
      }
    }
    n += targets.length;
    if (targets.length === 0 && statement.upsert) {
      const doc = upsertDocument(filter, change, statement.arrayFilters, evaluation);
      checkIdValue(doc._id);
      const target = storage.ensureCollection(dbName, name);
      checkDocument(target, doc, { bypass, logger });
      storage.insert(target, doc);
      upserted.push({ index, _id: doc._id });
      n++;
    }
  });
  return withWriteErrors({ n, nModified, ...(upserted.length > 0 ? { upserted } : {}), ok: 1 }, errors);
};

const deleteCommand: CommandHandler = (command, { storage }) => {
  if (!Array.isArray(command.deletes)) throw badValue("'deletes' must be an array");
  const dbName = databaseOf(command);
  const collection = storage.collection(dbName, collectionName(command));
  const evaluation = evaluationOf(command, storage, dbName);
  let n = 0;
  const errors = runBatch(
    command.deletes as Array<{ q?: Document; limit?: number; collation?: Document }>,
    command.ordered !== false,
    (statement) => {
      refuseCollation(statement.collation, 'delete');
      if (!collection) return;
      const filter = asDocument(statement.q, 'q');
      const targets = matching(collection, filter, Number(statement.limit) === 1 ? 1 : Infinity, evaluation);
      for (const doc of targets) storage.remove(collection, doc);
      n += targets.length;
    },
  );
  return withWriteErrors({ n, ok: 1 }, errors);
};

const findAndModify: CommandHandler = (command, { storage, logger }) => {
  const dbName = databaseOf(command);
  const name = collectionName(command);
  refuseCollation(command.collation, 'findAndModify');
  const filter = asDocument(command.query, 'query');
  const fields = asOptionalDocument(command.fields, 'fields');
  const evaluation = evaluationOf(command, storage, dbName);
  const [doc] = findDocuments(storage.collection(dbName, name), filter, {
    sort: asOptionalDocument(command.sort, 'sort'),
    limit: 1,
    evaluation,
  });
  const show = (value: Document | undefined) => (value && fields ? projectDocument(value, fields) : value) ?? null;

  if (command.remove === true) {
    const collection = storage.collection(dbName, name);
    if (doc && collection) storage.remove(collection, doc);
    return { lastErrorObject: { n: doc ? 1 : 0 }, value: show(doc), ok: 1 };
  }
  const change = command.update as Document | Document[] | undefined;
  if (change === undefined || change === null || typeof change !== 'object') {
    throw badValue('findAndModify needs either remove: true or an update');
  }
  const arrayFilters = command.arrayFilters as Document[] | undefined;
  const bypass = command.bypassDocumentValidation === true;
  if (doc) {
    const collection = storage.ensureCollection(dbName, name);
    const next = applyUpdate(doc, change, { filter, arrayFilters, isInsert: false, evaluation });
    if (next) {
      checkDocument(collection, next, { previous: doc, bypass, logger });
      storage.replace(collection, doc, next);
    }
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: show(command.new ? (next ?? doc) : doc), ok: 1 };
  }
  if (command.upsert === true) {
    const inserted = upsertDocument(filter, change, arrayFilters, evaluation);
    checkIdValue(inserted._id);
    const target = storage.ensureCollection(dbName, name);
    checkDocument(target, inserted, { bypass, logger });
    storage.insert(target, inserted);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: inserted._id },
      value: command.new ? show(inserted) : null,
      ok: 1,
    };
  }
  return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
};

export const writeCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: deleteCommand,
  findAndModify,
  findandmodify: findAndModify,
};
