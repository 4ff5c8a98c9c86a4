import type { Document } from 'bson';
import { duplicateKey } from './errors';
import { registerStored } from './numbers';
import type { CollectionOptions, IndexSpec } from './persistence-types';
import { isScalar, valueAtPath, valueKey, valuesAtPath } from './values';

/** A secondary index: index key → the `_id` keys of the documents that have it. */
interface SecondaryIndex {
  spec: IndexSpec;
  fields: string[];
  entries: Map<string, Set<string>>;
  /**
   * A compound index's leading field alone: its value → the `_id` keys, so that a filter pinning
   * only that field (GridFS's `{ files_id }` on `{ files_id: 1, n: 1 }`, `{ filename }` on
   * `{ filename: 1, uploadDate: 1 }`) is a lookup, as a prefix of the index is on MongoDB.
   */
  leading?: Map<string, Set<string>>;
}

export const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 } };

/**
 * One collection's documents in memory, keyed by `_id`, with its secondary indexes kept in step.
 * Lookups by `_id` or by an indexed field with an exact value never scan the collection.
 * Every change first checks the unique indexes and only then touches anything, so a failed write
 * leaves the collection as it was.
 */
export class Collection {
  readonly docs = new Map<string, Document>();
  private readonly indexes = new Map<string, SecondaryIndex>();
  /** Set through the storage (create, collMod), which journals them. */
  options: CollectionOptions = {};

  constructor(
    readonly dbName: string,
    readonly name: string,
  ) {}

  get ns(): string {
    return `${this.dbName}.${this.name}`;
  }

  indexSpecs(): IndexSpec[] {
    return [...this.indexes.values()].map((index) => index.spec);
  }

  /** Whether a single-field index on `field` exists (one lookup finds every document with a value). */
  hasSingleFieldIndex(field: string): boolean {
    for (const index of this.indexes.values()) if (index.fields.length === 1 && index.fields[0] === field) return true;
    return false;
  }

  /**
   * The documents whose `field` (`_id`, or a field with a single-field index) equals one of
   * `values` (exact values: what `isScalar` accepts), in the order of the collection's documents.
   */
  findByValues(field: string, values: unknown[]): Document[] {
    const keys = new Set(values.map(valueKey));
    if (field === '_id') return this.lookup([...keys]);
    const index = [...this.indexes.values()].find(
      (candidate) => candidate.fields.length === 1 && candidate.fields[0] === field,
    );
    if (!index) throw new Error(`no index on ${field}`);
    const idKeys = new Set<string>();
    for (const key of keys) for (const idKey of index.entries.get(key) ?? []) idKeys.add(idKey);
    return this.lookup([...idKeys]);
  }

  getByIdKey(idKey: string): Document | undefined {
    return this.docs.get(idKey);
  }

  insert(doc: Document): void {
    const idKey = valueKey(doc._id);
    if (this.docs.has(idKey)) throw duplicateKey(this.ns, '_id_', { _id: 1 }, { _id: doc._id });
    const keys = this.checkUnique(doc, idKey);
    registerStored(doc);
    this.docs.set(idKey, doc);
    this.addEntries(idKey, doc, keys);
  }

  /** Replaces a stored document by a new version with the same `_id`. */
  replace(previous: Document, next: Document): void {
    const idKey = valueKey(previous._id);
    const keys = this.checkUnique(next, idKey, previous);
    registerStored(next);
    this.removeEntries(idKey, previous);
    this.docs.set(idKey, next);
    this.addEntries(idKey, next, keys);
  }

  remove(doc: Document): void {
    const idKey = valueKey(doc._id);
    this.removeEntries(idKey, doc);
    this.docs.delete(idKey);
  }

  /** Adds an index, building it from the stored documents; a unique index over duplicates fails. */
  createIndex(spec: IndexSpec): void {
    const fields = Object.keys(spec.key);
    const index: SecondaryIndex = {
      spec,
      fields,
      entries: new Map(),
      leading: fields.length > 1 ? new Map() : undefined,
    };
    for (const [idKey, doc] of this.docs) {
      for (const key of this.keysOf(index, doc)) {
        const holders = index.entries.get(key) ?? new Set<string>();
        if (spec.unique && holders.size > 0) throw this.duplicate(index, doc);
        holders.add(idKey);
        index.entries.set(key, holders);
      }
      addLeading(index, idKey, doc);
    }
    this.indexes.set(spec.name, index);
  }

  dropIndex(name: string): boolean {
    return this.indexes.delete(name);
  }

  /**
   * The `_id`s of the documents that share a key in an index, one group per key: what keeps it
   * from being made unique (collMod's CannotConvertIndexToUnique violations).
   */
  duplicateGroups(name: string): unknown[][] {
    const index = this.indexes.get(name);
    const groups: unknown[][] = [];
    for (const holders of index?.entries.values() ?? []) {
      if (holders.size > 1) groups.push([...holders].map((idKey) => this.docs.get(idKey)?._id));
    }
    return groups;
  }

  /**
   * The documents that can match a filter: one lookup when the filter pins `_id` or an indexed field
   * to exact values, otherwise every document. The caller still tests each one against the filter.
   */
  candidates(filter: Document): Iterable<Document> {
    const ids = exactValues(filter._id);
    if (ids) return this.lookup(ids.map(valueKey));
    for (const index of this.indexes.values()) {
      if (index.fields.length !== 1) continue;
      const values = exactValues(filter[index.fields[0]]);
      if (!values) continue;
      const idKeys = new Set<string>();
      for (const value of values) for (const idKey of index.entries.get(valueKey(value)) ?? []) idKeys.add(idKey);
      return this.lookup([...idKeys]);
    }
    for (const index of this.indexes.values()) {
      if (!index.leading) continue;
      const values = exactValues(filter[index.fields[0]]);
      if (!values) continue;
      const idKeys = new Set<string>();
      for (const value of values) for (const idKey of index.leading.get(valueKey(value)) ?? []) idKeys.add(idKey);
      return this.lookup([...idKeys]);
    }
    return this.docs.values();
  }

  private lookup(idKeys: string[]): Document[] {
    const found: Document[] = [];
    for (const idKey of idKeys) {
      const doc = this.docs.get(idKey);
      if (doc) found.push(doc);
    }
    return found;
  }

  /**
   * The index keys a document would have in each index, after checking the unique ones. A
   * prepareUnique index refuses only keys the document did not already have: duplicates from
   * before it was set stay until they are resolved.
   */
  private checkUnique(doc: Document, idKey: string, previous?: Document): Map<SecondaryIndex, string[]> {
    const keysByIndex = new Map<SecondaryIndex, string[]>();
    for (const index of this.indexes.values()) {
      const keys = this.keysOf(index, doc);
      if (index.spec.unique) {
        for (const key of keys) {
          const holders = index.entries.get(key);
          if (holders && (holders.size > 1 || !holders.has(idKey))) throw this.duplicate(index, doc);
        }
      } else if (index.spec.prepareUnique) {
        const had = new Set(previous ? this.keysOf(index, previous) : []);
        for (const key of keys) {
          if (had.has(key)) continue;
          const holders = index.entries.get(key);
          if (holders && (holders.size > 1 || !holders.has(idKey))) throw this.duplicate(index, doc);
        }
      }
      keysByIndex.set(index, keys);
    }
    return keysByIndex;
  }

  private addEntries(idKey: string, doc: Document, keysByIndex: Map<SecondaryIndex, string[]>): void {
    for (const [index, keys] of keysByIndex) {
      addLeading(index, idKey, doc);
      for (const key of keys) {
        const holders = index.entries.get(key);
        if (holders) holders.add(idKey);
        else index.entries.set(key, new Set([idKey]));
      }
    }
  }

  private removeEntries(idKey: string, doc: Document): void {
    for (const index of this.indexes.values()) {
      removeLeading(index, idKey, doc);
      for (const key of this.keysOf(index, doc)) {
        const holders = index.entries.get(key);
        if (!holders) continue;
        holders.delete(idKey);
        if (holders.size === 0) index.entries.delete(key);
      }
    }
  }

  /** A document's keys in an index: several for an array (multikey), none when sparse and absent. */
  private keysOf(index: SecondaryIndex, doc: Document): string[] {
    if (index.spec.sparse && index.fields.every((field) => valueAtPath(doc, field) === undefined)) return [];
    if (index.fields.length === 1) {
      return [...new Set(valuesAtPath(doc, index.fields[0]).map(valueKey))];
    }
    return [index.fields.map((field) => valueKey(valueAtPath(doc, field))).join('\u0000')];
  }

  private duplicate(index: SecondaryIndex, doc: Document) {
    const keyValue: Document = {};
    for (const field of index.fields) keyValue[field] = valueAtPath(doc, field) ?? null;
    return duplicateKey(this.ns, index.spec.name, { ...index.spec.key }, keyValue);
  }
}

/**
 * The leading field's values of a document in a compound index: every element of an array (the
 * multikey rule, as for a single-field index, so that `{ a: 1 }` finds `{ a: [1, 2] }`); none for a
 * sparse index's document that has none of its fields, as the index itself holds no key for it.
 */
function leadingKeys(index: SecondaryIndex, doc: Document): string[] {
  if (index.spec.sparse && index.fields.every((field) => valueAtPath(doc, field) === undefined)) return [];
  return [...new Set(valuesAtPath(doc, index.fields[0]).map(valueKey))];
}

function addLeading(index: SecondaryIndex, idKey: string, doc: Document): void {
  if (!index.leading) return;
  for (const key of leadingKeys(index, doc)) {
    const holders = index.leading.get(key);
    if (holders) holders.add(idKey);
    else index.leading.set(key, new Set([idKey]));
  }
}

function removeLeading(index: SecondaryIndex, idKey: string, doc: Document): void {
  if (!index.leading) return;
  for (const key of leadingKeys(index, doc)) {
    const holders = index.leading.get(key);
    if (!holders) continue;
    holders.delete(idKey);
    if (holders.size === 0) index.leading.delete(key);
  }
}

/**
 * The exact values a filter condition pins a field to: `x`, `{ $eq: x }` or `{ $in: [...] }` with
 * scalar values. Anything else (operators, arrays, sub-documents, null) needs a scan.
 */
function exactValues(condition: unknown): unknown[] | undefined {
  if (condition === undefined) return undefined;
  if (isScalar(condition)) return [condition];
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) return undefined;
  const keys = Object.keys(condition);
  if (keys.length !== 1) return undefined;
  const operand = (condition as Document)[keys[0]];
  if (keys[0] === '$eq' && isScalar(operand)) return [operand];
  if (keys[0] === '$in' && Array.isArray(operand) && operand.every(isScalar)) return operand;
  return undefined;
}
