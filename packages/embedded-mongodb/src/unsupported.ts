import type { Document } from 'bson';
import { CommandError, badValue } from './errors';

/**
 * What the engine does not do is refused out loud, never quietly done differently: a client that
 * sends a collation, a view definition or a fail point gets MongoDB's NotImplemented (238) naming
 * it, rather than a result computed as if the option were absent.
 */
export function notImplemented(what: string): CommandError {
  return new CommandError(238, 'NotImplemented', `${what} is not supported by the embedded engine`);
}

/** A collation other than the simple one (binary comparison, what the engine does) is refused. */
export function refuseCollation(collation: unknown, where: string): void {
  if (collation === undefined || collation === null) return;
  const isSimple =
    typeof collation === 'object' &&
    !Array.isArray(collation) &&
    Object.keys(collation).length === 1 &&
    (collation as Document).locale === 'simple';
  if (!isSimple) throw notImplemented(`${where}: collation`);
}

/** Refuses the first of `fields` the document sets, naming it. */
export function refuseFields(document: Document, fields: readonly string[], where: string): void {
  for (const field of fields) {
    if (document[field] !== undefined) throw notImplemented(`${where}: option '${field}'`);
  }
}

/**
 * MongoDB 7.0's answer to a field its command parser does not know, such as `sort` in an update
 * statement (added in 8.0): IDL's unknown-field error.
 */
export function unknownField(path: string): CommandError {
  return new CommandError(40415, 'Location40415', `BSON field '${path}' is an unknown field.`);
}

/** MongoDB refuses an `_id` that is an array, or holds `$`-prefixed field names at any depth. */
export function checkIdValue(id: unknown): void {
  if (Array.isArray(id)) throw badValue("can't use an array for _id");
  const dollar = dollarKey(id);
  if (dollar !== undefined) {
    throw new CommandError(
      53,
      'InvalidIdField',
      `_id fields may not contain '$'-prefixed fields: ${dollar} is not valid for storage.`,
    );
  }
}

function dollarKey(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || '_bsontype' in value || value instanceof Date) return undefined;
  for (const [key, field] of Object.entries(value)) {
    if (key.startsWith('$')) return key;
    const nested = dollarKey(field);
    if (nested !== undefined) return nested;
  }
  return undefined;
}
