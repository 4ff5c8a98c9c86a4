import type { Document } from 'bson';

/**
 * The contract between the engine's in-memory storage and its files on disk.
 * The storage keeps everything in memory; with a data directory it also appends a record
 * for every change, and now and then writes a full snapshot so the journal stays short.
 */

/** An index as listIndexes reports it and as it is re-created after a restart. */
export interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
  sparse?: boolean;
  expireAfterSeconds?: number;
  /** Refuses new duplicate keys, the first step of turning an index unique (collMod). */
  prepareUnique?: boolean;
}

/** A collection's options, as create and collMod set them (only the ones the engine has). */
export interface CollectionOptions {
  validator?: Document;
  validationLevel?: 'off' | 'strict' | 'moderate';
  validationAction?: 'error' | 'warn';
  /** Kept and shown; with no change streams in the engine it changes nothing (as on a standalone mongod). */
  changeStreamPreAndPostImages?: { enabled: boolean };
}

/** One change, in the order the storage applied it. `doc` is the whole document after the change. */
export type JournalRecord =
  | { op: 'put'; db: string; coll: string; doc: Document }
  | { op: 'del'; db: string; coll: string; id: unknown }
  | { op: 'createCollection'; db: string; coll: string }
  /** The collection's whole options after a create or collMod that set any. */
  | { op: 'collectionOptions'; db: string; coll: string; options: CollectionOptions }
  | { op: 'dropCollection'; db: string; coll: string }
  | { op: 'dropDatabase'; db: string }
  | { op: 'createIndex'; db: string; coll: string; index: IndexSpec }
  | { op: 'dropIndex'; db: string; coll: string; name: string };

export interface PersistedCollection {
  docs: Document[];
  /** Every index except `_id_`, which every collection has. */
  indexes: IndexSpec[];
  /** Absent when the collection has none (and in data written before options existed). */
  options?: CollectionOptions;
}

/** database name → collection name → contents */
export type PersistedState = Map<string, Map<string, PersistedCollection>>;

export interface Persistence {
  /** What the directory held when it was opened: the snapshot with the journal replayed over it. */
  readonly loaded: PersistedState;
  /** Appends the records of one command as one write; returns once the OS has the bytes. */
  append(records: JournalRecord[]): void;
  /** Bytes in the journal since the last snapshot: the storage compacts when this grows large. */
  readonly journalBytes: number;
  /** Writes a snapshot of the whole state atomically, then starts an empty journal. */
  compact(state: PersistedState): void;
  /** Flushes and releases the directory (its lock file). */
  close(): void;
}
