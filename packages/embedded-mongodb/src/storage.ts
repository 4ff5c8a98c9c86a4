import type { Document } from 'bson';
import type { Logger } from './logger';
import { Collection } from './collection';
import { CommandError, ErrorCodes } from './errors';
import { assertStorable } from './limits';
import type {
  CollectionOptions,
  IndexSpec,
  JournalRecord,
  Persistence,
  PersistedCollection,
  PersistedState,
} from './persistence-types';
import { adoptDecimals, valueAtPath } from './values';

/** Compact once the journal holds this much since the last snapshot. */
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

/**
 * Every database and collection the engine holds. All changes go through here so that each one
 * is also appended to the journal when the engine has a data directory.
 */
export class Storage {
  private readonly databases = new Map<string, Map<string, Collection>>();

  constructor(
    private readonly logger: Logger,
    private readonly persistence?: Persistence,
  ) {
    if (persistence) this.restore(persistence.loaded);
  }

  databaseNames(): string[] {
    return [...this.databases.keys()];
  }

  collections(dbName: string): Collection[] {
    return [...(this.databases.get(dbName)?.values() ?? [])];
  }

  collection(dbName: string, name: string): Collection | undefined {
    return this.databases.get(dbName)?.get(name);
  }

  /** The collection, created (as MongoDB does implicitly on a first write) when missing. */
  ensureCollection(dbName: string, name: string): Collection {
    const existing = this.collection(dbName, name);
    if (existing) return existing;
    validateNames(dbName, name);
    let database = this.databases.get(dbName);
    if (!database) {
      database = new Map();
      this.databases.set(dbName, database);
    }
    const created = new Collection(dbName, name);
    database.set(name, created);
    this.journal({ op: 'createCollection', db: dbName, coll: name });
    return created;
  }

  /**
   * An explicit create with options (validator...): the collection and its options are journaled
   * as one write, so a crash never leaves the collection without them.
   */
  createCollection(dbName: string, name: string, options: CollectionOptions): Collection {
    const existing = this.collection(dbName, name);
    if (existing) return existing;
    validateNames(dbName, name);
    const created = new Collection(dbName, name);
    created.options = options;
    const records: JournalRecord[] = [{ op: 'createCollection', db: dbName, coll: name }];
    if (Object.keys(options).length > 0) records.push({ op: 'collectionOptions', db: dbName, coll: name, options });
    this.journal(...records);
    let database = this.databases.get(dbName);
    if (!database) {
      database = new Map();
      this.databases.set(dbName, database);
    }
    database.set(name, created);
    return created;
  }

  /** Replaces a collection's options (collMod). */
  setOptions(collection: Collection, options: CollectionOptions): void {
    const previous = collection.options;
    collection.options = options;
    this.journalOrUndo({ op: 'collectionOptions', db: collection.dbName, coll: collection.name, options }, () => {
      collection.options = previous;
    });
  }

  dropCollection(dbName: string, name: string): boolean {
    const database = this.databases.get(dbName);
    if (!database?.delete(name)) return false;
    if (database.size === 0) this.databases.delete(dbName);
    this.journal({ op: 'dropCollection', db: dbName, coll: name });
    return true;
  }

  dropDatabase(dbName: string): void {
    if (!this.databases.delete(dbName)) return;
    this.journal({ op: 'dropDatabase', db: dbName });
  }

  // Memory first (that is where unique indexes are checked), then the journal; when the journal
  // can't be written (disk full) the change is undone, so memory never holds what the disk lacks.
  insert(collection: Collection, doc: Document): void {
    assertStorable(doc);
    collection.insert(doc);
    this.journalOrUndo({ op: 'put', db: collection.dbName, coll: collection.name, doc }, () => collection.remove(doc));
  }

  replace(collection: Collection, previous: Document, next: Document): void {
    assertStorable(next);
    collection.replace(previous, next);
    this.journalOrUndo({ op: 'put', db: collection.dbName, coll: collection.name, doc: next }, () =>
      collection.replace(next, previous),
    );
  }

  remove(collection: Collection, doc: Document): void {
    collection.remove(doc);
    this.journalOrUndo({ op: 'del', db: collection.dbName, coll: collection.name, id: doc._id }, () =>
      collection.insert(doc),
    );
  }

  createIndex(collection: Collection, spec: IndexSpec): void {
    collection.createIndex(spec);
    this.journal({ op: 'createIndex', db: collection.dbName, coll: collection.name, index: spec });
  }

  dropIndex(collection: Collection, name: string): boolean {
    if (!collection.dropIndex(name)) return false;
    this.journal({ op: 'dropIndex', db: collection.dbName, coll: collection.name, name });
    return true;
  }

  /** Removes the documents whose TTL index date has passed, as MongoDB's TTL monitor does. */
  removeExpired(now = Date.now()): number {
    let removed = 0;
    for (const database of this.databases.values()) {
      for (const collection of database.values()) {
        for (const spec of collection.indexSpecs()) {
          if (spec.expireAfterSeconds === undefined) continue;
          const field = Object.keys(spec.key)[0];
          const limit = now - spec.expireAfterSeconds * 1000;
          for (const doc of [...collection.docs.values()]) {
            if (isExpired(valueAtPath(doc, field), limit)) {
              this.remove(collection, doc);
              removed++;
            }
          }
        }
      }
    }
    return removed;
  }

  close(): void {
    this.persistence?.close();
  }

  private journalOrUndo(record: JournalRecord, undo: () => void): void {
    try {
      this.journal(record);
    } catch (error) {
      undo();
      throw new CommandError(1, 'InternalError', `could not write to the data directory: ${(error as Error).message}`);
    }
  }

  private journal(...records: JournalRecord[]): void {
    if (!this.persistence) return;
    this.persistence.append(records);
    if (this.persistence.journalBytes > COMPACT_AFTER_BYTES) this.compact();
  }

  /** A failed compaction loses nothing (the journal still has every write): log it and go on. */
  private compact(): void {
    if (!this.persistence) return;
    try {
      this.writeSnapshot(this.persistence);
    } catch (error) {
      this.logger.error({ err: error }, 'compacting the journal failed; it keeps growing until the next try');
    }
  }

  private writeSnapshot(persistence: Persistence): void {
    const started = Date.now();
    const state: PersistedState = new Map();
    for (const [dbName, database] of this.databases) {
      const collections = new Map();
      for (const [name, collection] of database) {
        const persisted: PersistedCollection = {
          docs: [...collection.docs.values()],
          indexes: collection.indexSpecs(),
        };
        if (Object.keys(collection.options).length > 0) persisted.options = collection.options;
        collections.set(name, persisted);
      }
      state.set(dbName, collections);
    }
    persistence.compact(state);
    this.logger.info({ ms: Date.now() - started }, 'journal compacted into a snapshot');
  }

  private restore(state: PersistedState): void {
    for (const [dbName, collections] of state) {
      const database = new Map<string, Collection>();
      for (const [name, persisted] of collections) {
        const collection = new Collection(dbName, name);
        for (const doc of persisted.docs) {
          // Decimal128s order by value in mingo, as those that arrive over the wire (connection.ts).
          adoptDecimals(doc);
          collection.insert(doc);
        }
        for (const spec of persisted.indexes) collection.createIndex(spec);
        if (persisted.options) collection.options = persisted.options;
        database.set(name, collection);
      }
      this.databases.set(dbName, database);
    }
  }
}

/** A TTL index expires a document by a date, or by the earliest date of an array; anything else stays. */
function isExpired(value: unknown, limit: number): boolean {
  if (value instanceof Date) return value.getTime() <= limit;
  if (Array.isArray(value)) {
    // some() rather than Math.min(...dates), whose arguments would overflow the stack.
    return value.some((element) => element instanceof Date && element.getTime() <= limit);
  }
  return false;
}

function validateNames(dbName: string, name: string): void {
  if (!dbName || /[/\\. "$\0]/.test(dbName) || dbName.length > 63) {
    throw new CommandError(ErrorCodes.InvalidNamespace, 'InvalidNamespace', `Invalid database name: '${dbName}'`);
  }
  if (!name || name.includes('\0') || name.startsWith('system.') || name.includes('$')) {
    throw new CommandError(ErrorCodes.InvalidNamespace, 'InvalidNamespace', `Invalid collection name: '${name}'`);
  }
}
