import { Binary, type Document } from 'bson';
import type { Collection } from './collection';
import { CommandError, ErrorCodes, badValue } from './errors';
import type { Logger } from './logger';
import type { CollectionOptions } from './persistence-types';
import { matcher, runPipeline } from './query';
import { notImplemented } from './unsupported';
import { valuesAtPath } from './values';

/**
 * Collection validators, as MongoDB 7.0 has them: a query-language `validator` every insert and
 * update must satisfy, `validationLevel` (strict: every write; moderate: inserts, and updates of
 * documents that were valid; off) and `validationAction` (error: refuse with
 * DocumentValidationFailure, 121; warn: log and write). `bypassDocumentValidation` on a command
 * skips it. `$jsonSchema` is refused (mingo cannot evaluate it), as are the operators MongoDB
 * itself refuses in a validator.
 *
 * The failure's `errInfo.details` follows mongod's format (operatorName, specifiedAs, reason,
 * consideredValue(s), consideredType, clausesNotSatisfied) for the usual operators: field
 * comparisons, $type, $in, $exists, $regex, $expr, $and/$or. For the others it names the operator
 * and says the engine gives no further detail, rather than inventing a reason.
 */

export const DOCUMENT_VALIDATION_FAILURE = 121;
const LEVELS = ['off', 'strict', 'moderate'] as const;
const ACTIONS = ['error', 'warn'] as const;
/** Operators MongoDB refuses inside a validator. */
const REFUSED_IN_VALIDATOR = ['$near', '$nearSphere', '$text', '$where', '$geoNear'];
/** Databases MongoDB keeps validators out of. */
const INTERNAL_DATABASES = new Set(['admin', 'local', 'config']);

/** The validation fields of a create or collMod command, checked; undefined for each one not given. */
export function parseValidationOptions(command: Document, ns: string): CollectionOptions {
  const options: CollectionOptions = {};
  if (command.validator !== undefined) {
    const validator = command.validator;
    if (validator === null || typeof validator !== 'object' || Array.isArray(validator)) {
      throw new CommandError(14, 'TypeMismatch', "'validator' must be a document");
    }
    const dbName = ns.slice(0, ns.indexOf('.'));
    if (Object.keys(validator).length > 0 && INTERNAL_DATABASES.has(dbName)) {
      throw new CommandError(
        ErrorCodes.InvalidOptions,
        'InvalidOptions',
        `Document validators are not allowed on collection ${ns} in the ${dbName} internal database`,
      );
    }
    compile(validator as Document);
    options.validator = validator as Document;
  }
  if (command.validationLevel !== undefined)
    options.validationLevel = oneOf(command.validationLevel, LEVELS, 'validationLevel');
  if (command.validationAction !== undefined) {
    options.validationAction = oneOf(command.validationAction, ACTIONS, 'validationAction');
  }
  return options;
}

/** The validation part of listCollections' `options`: what was set (an empty validator is none), as MongoDB shows it. */
export function validationOptionsOf(options: CollectionOptions): Document {
  const shown: Document = {};
  if (options.validator !== undefined && Object.keys(options.validator).length > 0) shown.validator = options.validator;
  if (options.validationLevel !== undefined) shown.validationLevel = options.validationLevel;
  if (options.validationAction !== undefined) shown.validationAction = options.validationAction;
  return shown;
}

export interface WriteCheck {
  /** The document as it was before an update; undefined for an insert. */
  previous?: Document;
  /** The command's bypassDocumentValidation. */
  bypass: boolean;
  logger: Logger;
}

/**
 * Checks a document about to be written against the collection's validator: throws MongoDB's
 * DocumentValidationFailure, or with validationAction 'warn' logs it and lets the write go on.
 */
export function checkDocument(collection: Collection | undefined, next: Document, check: WriteCheck): void {
  const options = collection?.options;
  const validator = options?.validator;
  if (!options || !validator || Object.keys(validator).length === 0 || check.bypass) return;
  const level = options.validationLevel ?? 'strict';
  if (level === 'off') return;
  const test = compile(validator);
  if (test(next)) return;
  if (level === 'moderate' && check.previous !== undefined && !test(check.previous)) return;
  const errInfo = { failingDocumentId: next._id, details: explain(validator, next) };
  if (options.validationAction === 'warn') {
    check.logger.warn({ ns: collection.ns, errInfo }, 'Document would fail validation');
    return;
  }
  throw new CommandError(DOCUMENT_VALIDATION_FAILURE, 'DocumentValidationFailure', 'Document failed validation', {
    errInfo,
  });
}

const compiled = new WeakMap<Document, (doc: Document) => boolean>();

function compile(validator: Document): (doc: Document) => boolean {
  let test = compiled.get(validator);
  if (test) return test;
  refuseOperators(validator);
  test = matcher(validator);
  compiled.set(validator, test);
  return test;
}

function refuseOperators(value: unknown): void {
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Binary) return;
  if ('_bsontype' in value) return;
  for (const [key, field] of Object.entries(value)) {
    if (key === '$jsonSchema') throw notImplemented('validator: $jsonSchema');
    if (REFUSED_IN_VALIDATOR.includes(key)) throw badValue(`${key} is not allowed in collection validators`);
    refuseOperators(field);
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw badValue(`Enumeration value '${String(value)}' for field '${field}' is not a valid value.`);
}

// ------------------------------------------------------------------------------------------------
// errInfo.details, for a document the validator refused.

const NO_DETAIL = 'the embedded engine gives no further detail for this operator';

function explain(validator: Document, doc: Document): Document {
  const clauses = Object.entries(validator).map(([key, value]) => ({ [key]: value }));
  if (clauses.length === 1) return explainClause(clauses[0], doc);
  return { operatorName: '$and', clausesNotSatisfied: failingClauses(clauses, doc) };
}

function failingClauses(clauses: Document[], doc: Document): Document[] {
  const failing: Document[] = [];
  clauses.forEach((clause, index) => {
    if (!safeTest(clause, doc)) failing.push({ index, details: explainClause(clause, doc) });
  });
  return failing;
}

function safeTest(clause: Document, doc: Document): boolean {
  try {
    return matcher(clause)(doc);
  } catch {
    return false;
  }
}

/** One clause `{ key: value }` of a filter that the document does not satisfy. */
function explainClause(clause: Document, doc: Document): Document {
  const [key, value] = Object.entries(clause)[0];
  if (key === '$and' && Array.isArray(value)) {
    return { operatorName: '$and', clausesNotSatisfied: failingClauses(value as Document[], doc) };
  }
  if (key === '$or' && Array.isArray(value)) {
    // Every clause of an $or failed.
    const clauses = value as Document[];
    return {
      operatorName: '$or',
      clausesNotSatisfied: clauses.map((sub, index) => ({ index, details: explain(sub, doc) })),
    };
  }
  if (key === '$expr') {
    const details: Document = { operatorName: '$expr', specifiedAs: clause, reason: 'expression did not match' };
    try {
      const [result] = runPipeline([doc], [{ $replaceWith: { r: value as Document } }]);
      details.expressionResult = (result as Document | undefined)?.r ?? null;
    } catch {
      details.reason = 'failed to evaluate aggregation expression';
    }
    return details;
  }
  if (key.startsWith('$')) return { operatorName: key, specifiedAs: clause, reason: NO_DETAIL };
  return explainField(key, value, doc);
}

function isOperatorObject(value: unknown): value is Document {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return false;
  if ('_bsontype' in value || value instanceof RegExp) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => key.startsWith('$'));
}

function explainField(path: string, condition: unknown, doc: Document): Document {
  if (!isOperatorObject(condition)) {
    if (condition instanceof RegExp)
      return leaf('$regex', { [path]: condition }, path, doc, 'regular expression did not match');
    return leaf('$eq', { [path]: condition }, path, doc, 'comparison failed');
  }
  const operators = Object.keys(condition);
  if (operators.length > 1) {
    // An implicit $and of the operators: the ones that fail.
    const failing = operators
      .map((operator, index) => ({ index, clause: { [path]: { [operator]: condition[operator] } } }))
      .filter(({ clause }) => !safeTest(clause, doc));
    if (operators.includes('$options') && operators.includes('$regex')) {
      return leaf('$regex', { [path]: condition }, path, doc, 'regular expression did not match');
    }
    if (failing.length === 1) return explainField(path, failing[0].clause[path], doc);
    return {
      operatorName: '$and',
      clausesNotSatisfied: failing.map(({ index, clause }) => ({
        index,
        details: explainField(path, clause[path], doc),
      })),
    };
  }
  const operator = operators[0];
  const specifiedAs = { [path]: condition };
  switch (operator) {
    case '$eq':
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return leaf(operator, specifiedAs, path, doc, 'comparison failed');
    case '$in':
      return leaf(operator, specifiedAs, path, doc, 'no matching value found in array');
    case '$regex':
      return leaf(operator, specifiedAs, path, doc, 'regular expression did not match');
    case '$type': {
      const details = leaf(operator, specifiedAs, path, doc, 'type did not match');
      const types = [...new Set(present(valuesAtPath(doc, path)).map(typeName))];
      if (types.length === 1) details.consideredType = types[0];
      else if (types.length > 1) details.consideredTypes = types.sort();
      return details;
    }
    case '$exists':
      if (condition.$exists) return { operatorName: '$exists', specifiedAs, reason: 'path does not exist' };
      return { operatorName: '$exists', specifiedAs, reason: 'path does exist' };
    default:
      return { operatorName: operator, specifiedAs, reason: NO_DETAIL };
  }
}

/** mongod's leaf error: the reason, or 'field was missing', and the values the operator looked at. */
function leaf(operatorName: string, specifiedAs: Document, path: string, doc: Document, reason: string): Document {
  const values = present(valuesAtPath(doc, path));
  const details: Document = { operatorName, specifiedAs };
  if (values.length === 0) {
    details.reason = 'field was missing';
    return details;
  }
  details.reason = reason;
  if (values.length === 1) details.consideredValue = values[0];
  else details.consideredValues = values;
  return details;
}

function present(values: unknown[]): unknown[] {
  return values.filter((value) => value !== undefined);
}

/** MongoDB's name for a value's BSON type. A plain number is an int when it is one, as bson encodes it. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 ? 'int' : 'double';
    case 'bigint':
      return 'long';
    case 'object':
      break;
    default:
      return 'undefined';
  }
  const bsonType = (value as { _bsontype?: string })._bsontype;
  const names: Record<string, string> = {
    ObjectId: 'objectId',
    Binary: 'binData',
    Long: 'long',
    Int32: 'int',
    Double: 'double',
    Decimal128: 'decimal',
    Timestamp: 'timestamp',
    MinKey: 'minKey',
    MaxKey: 'maxKey',
    Code: 'javascript',
    BSONRegExp: 'regex',
    BSONSymbol: 'symbol',
    DBRef: 'object',
  };
  return bsonType ? (names[bsonType] ?? 'object') : 'object';
}
