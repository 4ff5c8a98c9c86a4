import type { Document } from 'bson';

/**
 * A command failure as MongoDB reports it: `{ ok: 0, errmsg, code, codeName }` plus any extra
 * fields (a duplicate key error carries keyPattern and keyValue, which mongoose reads).
 */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
    this.name = 'CommandError';
  }

  toReply(): Document {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

export const ErrorCodes = {
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  DuplicateKey: 11000,
} as const;

export function badValue(message: string): CommandError {
  return new CommandError(ErrorCodes.BadValue, 'BadValue', message);
}

export function duplicateKey(ns: string, indexName: string, keyPattern: Document, keyValue: Document): CommandError {
  const shown = Object.entries(keyValue)
    .map(([field, value]) => `${field}: ${showKey(value)}`)
    .join(', ');
  return new CommandError(
    ErrorCodes.DuplicateKey,
    'DuplicateKey',
    `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: { ${shown} }`,
    { keyPattern, keyValue },
  );
}

/** A key value in a duplicate key message; an int64 as its digits (JSON would show its two halves). */
function showKey(value: unknown): string {
  if (value !== null && typeof value === 'object' && (value as { _bsontype?: unknown })._bsontype === 'Long') {
    return String(value);
  }
  return JSON.stringify(value) ?? 'null';
}
