import type { Collection, Db, Document } from 'mongodb';
import { SESSIONS_COLLECTION } from '../../src/sessions/session-document';

/** The writes the session store sends: each waits first, as a slow database or network would make it. */
const STORE_WRITES = new Set<PropertyKey>(['insertOne', 'updateOne', 'deleteOne']);

/** How long a write waits: milliseconds, or until a promise settles (the test decides when it lands). */
export type WriteWait = number | Promise<unknown>;

/**
 * `database`, except that every write the session store sends to the sessions collection waits
 * first (`wait`): to prove that a response waits for its session's write, and that a write still
 * in flight when its session is destroyed does not bring it back. The store itself is the real one.
 */
export function withSlowSessionWrites(database: Db, wait: WriteWait): Db {
  return new Proxy(database, {
    get(target, property) {
      if (property !== 'collection') return bound(target, property);
      return (name: string, ...rest: unknown[]) => {
        const collection = (target.collection as (...args: unknown[]) => Collection<Document>)(name, ...rest);
        return name === SESSIONS_COLLECTION ? slowWrites(collection, wait) : collection;
      };
    },
  });
}

function slowWrites<T extends Document>(collection: Collection<T>, wait: WriteWait): Collection<T> {
  return new Proxy(collection, {
    get(target, property) {
      const value = bound(target, property);
      if (!STORE_WRITES.has(property) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (typeof wait === 'number') await new Promise((resolve) => setTimeout(resolve, wait));
        else await wait.catch(() => undefined);
        return (value as (...args: unknown[]) => unknown)(...args);
      };
    },
  });
}

/** A property of the driver's object, its methods bound to it (they use private fields). */
function bound(target: object, property: PropertyKey): unknown {
  const value: unknown = Reflect.get(target, property);
  return typeof value === 'function' ? value.bind(target) : value;
}
