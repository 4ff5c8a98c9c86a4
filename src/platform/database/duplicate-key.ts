/** MongoDB's DuplicateKey: a write that a unique index refused. */
const DUPLICATE_KEY = 11000;

/**
 * Whether a write failed on a unique index, and with `keyPattern`, on that index (the same fields:
 * `{ _id: 1 }` tells a taken id from a taken email). By code, not by class: mongoose's driver and
 * connect-mongodb-session's own copy have different classes.
 */
export function isDuplicateKey(error: unknown, keyPattern?: Record<string, unknown>): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, keyPattern: refused } = error as { code?: unknown; keyPattern?: unknown };
  if (code !== DUPLICATE_KEY) return false;
  if (keyPattern === undefined) return true;
  if (typeof refused !== 'object' || refused === null) return false;
  const fields = Object.keys(keyPattern);
  const refusedFields = Object.keys(refused);
  return fields.length === refusedFields.length && fields.every((field) => refusedFields.includes(field));
}
