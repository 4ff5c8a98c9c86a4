import type { Document } from 'bson';
import { badValue } from './errors';

/**
 * JavaScript reads and writes `__proto__`, `constructor` and `prototype` through to an object's
 * prototype: as a field name or a segment of a dotted path they could reach Object.prototype, which
 * every document of every database shares. MongoDB would store them; this engine refuses them.
 */
const UNSAFE_FIELD_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Refuses a field name or dotted path with an unsafe segment. */
export function assertSafePath(path: string): void {
  for (const segment of path.split('.')) {
    if (UNSAFE_FIELD_NAMES.has(segment)) {
      throw badValue(`the field name '${segment}' (in '${path}') is not allowed by the embedded engine`);
    }
  }
}

/**
 * `$rename` is the one update operator whose values are paths: the message scan sees only field
 * names, so its targets are checked here before mingo follows them.
 */
export function assertSafeRenames(operators: Document): void {
  const renames: unknown = operators.$rename;
  if (renames === null || typeof renames !== 'object') return;
  for (const target of Object.values(renames)) if (typeof target === 'string') assertSafePath(target);
}
