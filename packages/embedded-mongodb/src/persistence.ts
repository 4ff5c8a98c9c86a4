import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { deserialize, serialize, type Document, type ObjectId } from 'bson';
import { NEEDS_EXACT_DECODING, scanDocument } from './bson-scan';
import { normaliseExact } from './numbers';
import type {
  CollectionOptions,
  IndexSpec,
  JournalRecord,
  PersistedCollection,
  PersistedState,
  Persistence,
} from './persistence-types';
import { valueKey } from './values';

/**
 * Files in a data directory:
 *   snapshot.bson  the full state, as a sequence of frames (a header, then chunks of documents);
 *                  only ever replaced whole, by writing snapshot.bson.tmp and renaming it over.
 *   journal.bson   one frame per append() since that snapshot.
 *   embedded-mongodb.lock  the PID of the process that has the directory open.
 *
 * Every frame is [u32 LE payload length][u32 LE crc32 of payload][payload], the payload one BSON document.
 */

/** What the persistence layer logs; a pino Logger satisfies it. */
export interface PersistenceLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/**
 * Reads a payload back in the engine's exact form (numbers.ts), so that every number keeps the BSON
 * type it was written as: a frame that holds an int64 or a double such as 5.0 is decoded without
 * promotion and normalised (Long stays Long, such a double stays a Double object, every other
 * number becomes a JS number); any other frame is decoded as the wire decodes one.
 */
function decodePayload(payload: Buffer): Document {
  if ((scanDocument(payload, 0, payload.length, false) & NEEDS_EXACT_DECODING) === 0) return deserialize(payload);
  return normaliseExact(deserialize(payload, { promoteValues: false })) as Document;
}

const SNAPSHOT_FILE = 'snapshot.bson';
const SNAPSHOT_TMP_FILE = 'snapshot.bson.tmp';
const JOURNAL_FILE = 'journal.bson';
const LOCK_FILE = 'embedded-mongodb.lock';

const SNAPSHOT_FORMAT = 'embedded-snapshot';
const SNAPSHOT_VERSION = 1;
/** Chunks keep each frame far below bson's 16 MiB serialize buffer and bound the memory a write needs. */
const SNAPSHOT_CHUNK_DOCS = 1000;
const SNAPSHOT_CHUNK_BYTES = 4 * 1024 * 1024;

const FRAME_HEADER_BYTES = 8;
/** The smallest BSON document, `{}`: a zero-filled tail (length 0, crc32('') = 0) must not pass as a frame. */
const MIN_BSON_BYTES = 5;

// ---------------------------------------------------------------------------------------------------
// Framing

function encodeFrame(payload: Uint8Array): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

type FrameRead = { ok: true; doc: Document; end: number } | { ok: false; reason: string };

function readFrame(buf: Buffer, offset: number): FrameRead {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { ok: false, reason: 'incomplete frame header' };
  const length = buf.readUInt32LE(offset);
  const checksum = buf.readUInt32LE(offset + 4);
  const start = offset + FRAME_HEADER_BYTES;
  if (length < MIN_BSON_BYTES) return { ok: false, reason: `impossible payload length ${length}` };
  if (buf.length - start < length) return { ok: false, reason: 'incomplete payload' };
  const payload = buf.subarray(start, start + length);
  if (crc32(payload) !== checksum) return { ok: false, reason: 'checksum mismatch' };
  if (payload.readInt32LE(0) !== length) return { ok: false, reason: 'BSON length disagrees with frame length' };
  try {
    return { ok: true, doc: decodePayload(payload), end: start + length };
  } catch (err) {
    return { ok: false, reason: `undecodable BSON: ${(err as Error).message}` };
  }
}

function cstring(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

const BSON_EMBEDDED_DOCUMENT = 0x03;
const BSON_ARRAY = 0x04;

/**
 * The BSON of `{ ...head, [field]: items }` where each item is already serialized. bson's own serialize
 * goes through a fixed ~17 MB buffer, so one command's records or one snapshot chunk could overflow it;
 * serializing item by item and splicing has no such limit (each item is at most a 16 MiB document).
 */
function serializeWithArray(head: Document, field: string, items: readonly Uint8Array[]): Buffer {
  const headBytes = serialize(head);
  const headElements = headBytes.subarray(4, headBytes.length - 1);
  const fieldName = cstring(field);
  const keys = items.map((_, i) => cstring(String(i)));
  let arraySize = 4 + 1;
  items.forEach((item, i) => (arraySize += 1 + keys[i].length + item.length));
  const total = 4 + headElements.length + 1 + fieldName.length + arraySize + 1;

  const out = Buffer.allocUnsafe(total);
  let at = out.writeInt32LE(total, 0);
  out.set(headElements, at);
  at += headElements.length;
  at = out.writeUInt8(BSON_ARRAY, at);
  at += fieldName.copy(out, at);
  at = out.writeInt32LE(arraySize, at);
  items.forEach((item, i) => {
    at = out.writeUInt8(BSON_EMBEDDED_DOCUMENT, at);
    at += keys[i].copy(out, at);
    out.set(item, at);
    at += item.length;
  });
  at = out.writeUInt8(0, at); // end of the array
  out.writeUInt8(0, at); // end of the document
  return out;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

// ---------------------------------------------------------------------------------------------------
// The state while loading: maps, so replaying n records is O(n), converted to the contract's arrays at the end.

interface WorkingCollection {
  docs: Map<string, Document>;
  indexes: Map<string, IndexSpec>;
  options?: CollectionOptions;
}
type WorkingState = Map<string, Map<string, WorkingCollection>>;

/**
 * BSON equality as a string; the prefixes keep ObjectId('…') and the string '…' apart. The two common id
 * types skip serialize, which is a third of the cost of loading a snapshot of small documents.
 * `_bsontype` rather than instanceof, so an ObjectId from another copy of the bson package keys the same.
 */
function idKey(id: unknown): string {
  if (typeof id === 'string') return `s${id}`;
  const type = (id as { _bsontype?: unknown } | null)?._bsontype;
  if (type === 'ObjectId') return `o${(id as ObjectId).toHexString()}`;
  // Numbers by value, whatever their type, as the collections key them (an update may store
  // the _id 5 over the _id 5.0: one document, whose records must replace each other).
  if (typeof id === 'number' || type === 'Long' || type === 'Double' || type === 'Int32' || type === 'Decimal128') {
    return valueKey(id);
  }
  const bytes = serialize({ v: id });
  return `b${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

function collectionOf(state: WorkingState, db: string, coll: string): WorkingCollection {
  let colls = state.get(db);
  if (!colls) state.set(db, (colls = new Map()));
  let c = colls.get(coll);
  if (!c) colls.set(coll, (c = { docs: new Map(), indexes: new Map() }));
  return c;
}

function applyRecord(state: WorkingState, record: JournalRecord): void {
  switch (record.op) {
    case 'put':
      collectionOf(state, record.db, record.coll).docs.set(idKey(record.doc._id), record.doc);
      return;
    case 'del':
      state.get(record.db)?.get(record.coll)?.docs.delete(idKey(record.id));
      return;
    case 'createCollection':
      collectionOf(state, record.db, record.coll);
      return;
    case 'collectionOptions':
      collectionOf(state, record.db, record.coll).options = record.options;
      return;
    case 'dropCollection': {
      // As in MongoDB (and the storage), a database lives only as long as it has a collection.
      const colls = state.get(record.db);
      if (colls?.delete(record.coll) && colls.size === 0) state.delete(record.db);
      return;
    }
    case 'dropDatabase':
      state.delete(record.db);
      return;
    case 'createIndex':
      collectionOf(state, record.db, record.coll).indexes.set(record.index.name, record.index);
      return;
    case 'dropIndex':
      state.get(record.db)?.get(record.coll)?.indexes.delete(record.name);
      return;
    default:
      // The frame's checksum was good, so this was written on purpose, by a newer version: refuse to guess.
      throw new Error(`journal record with unknown op ${JSON.stringify((record as { op?: unknown }).op)}`);
  }
}

function toPersisted(state: WorkingState): PersistedState {
  const out: PersistedState = new Map();
  for (const [dbName, colls] of state) {
    const persistedColls = new Map<string, PersistedCollection>();
    for (const [collName, c] of colls) {
      const persisted: PersistedCollection = { docs: [...c.docs.values()], indexes: [...c.indexes.values()] };
      if (c.options) persisted.options = c.options;
      persistedColls.set(collName, persisted);
    }
    out.set(dbName, persistedColls);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Snapshot

interface SnapshotHeader {
  format: string;
  version: number;
  dbs: { name: string; colls: { name: string; count: number; indexes: IndexSpec[]; options?: CollectionOptions }[] }[];
}

interface SnapshotChunk {
  db: string;
  coll: string;
  docs: Document[];
}

function snapshotHeader(state: PersistedState): SnapshotHeader {
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    dbs: [...state].map(([name, colls]) => ({
      name,
      colls: [...colls].map(([collName, c]) => ({
        name: collName,
        count: c.docs.length,
        indexes: c.indexes,
        ...(c.options ? { options: c.options } : {}),
      })),
    })),
  };
}

/** Writes one collection's documents as frames of at most SNAPSHOT_CHUNK_DOCS docs / ~SNAPSHOT_CHUNK_BYTES. */
function writeDocChunks(fd: number, db: string, coll: string, docs: readonly Document[]): number {
  let written = 0;
  let chunk: Uint8Array[] = [];
  let chunkBytes = 0;
  const flush = (): void => {
    const frame = encodeFrame(serializeWithArray({ db, coll }, 'docs', chunk));
    writeAll(fd, frame);
    written += frame.length;
    chunk = [];
    chunkBytes = 0;
  };
  for (const doc of docs) {
    const bytes = serialize(doc);
    if (chunk.length > 0 && chunkBytes + bytes.length > SNAPSHOT_CHUNK_BYTES) flush();
    chunk.push(bytes);
    chunkBytes += bytes.length;
    if (chunk.length >= SNAPSHOT_CHUNK_DOCS) flush();
  }
  if (chunk.length > 0) flush();
  return written;
}

/** Directory fsync makes the rename durable; some platforms (Windows) cannot open a directory for it. */
function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(errorCode(err) ?? '')) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Returns the snapshot's size in bytes. */
function writeSnapshot(dir: string, state: PersistedState): number {
  const tmp = path.join(dir, SNAPSHOT_TMP_FILE);
  const fd = fs.openSync(tmp, 'w');
  let bytes = 0;
  try {
    const header = encodeFrame(serialize(snapshotHeader(state)));
    writeAll(fd, header);
    bytes += header.length;
    for (const [db, colls] of state) {
      for (const [coll, c] of colls) bytes += writeDocChunks(fd, db, coll, c.docs);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, SNAPSHOT_FILE));
  fsyncDirectory(dir);
  return bytes;
}

function corruptSnapshot(file: string, detail: string): Error {
  return new Error(
    `Snapshot ${file} is corrupt (${detail}). Snapshots are only ever replaced whole by an atomic rename, ` +
      'so this is damage from outside the engine (disk, copy, or editing): restore the data directory from a backup.',
  );
}

function readSnapshot(file: string): WorkingState {
  const state: WorkingState = new Map();
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return state;
    throw err;
  }

  const first = readFrame(buf, 0);
  if (!first.ok) throw corruptSnapshot(file, `header frame: ${first.reason}`);
  const header = first.doc as SnapshotHeader;
  if (header.format !== SNAPSHOT_FORMAT || header.version !== SNAPSHOT_VERSION || !Array.isArray(header.dbs)) {
    throw corruptSnapshot(file, `unknown format ${JSON.stringify(header.format)} version ${header.version}`);
  }

  const expected = new Map<WorkingCollection, number>();
  for (const db of header.dbs) {
    state.set(db.name, new Map());
    for (const coll of db.colls) {
      const c = collectionOf(state, db.name, coll.name);
      for (const index of coll.indexes) c.indexes.set(index.name, index);
      if (coll.options) c.options = coll.options;
      expected.set(c, coll.count);
    }
  }

  for (let offset = first.end; offset < buf.length;) {
    const frame = readFrame(buf, offset);
    if (!frame.ok) throw corruptSnapshot(file, `${frame.reason} at byte ${offset}`);
    const chunk = frame.doc as SnapshotChunk;
    const c = state.get(chunk.db)?.get(chunk.coll);
    if (!c) throw corruptSnapshot(file, `documents for ${chunk.db}.${chunk.coll}, which the header does not list`);
    for (const doc of chunk.docs) c.docs.set(idKey(doc._id), doc);
    offset = frame.end;
  }

  for (const db of header.dbs) {
    for (const coll of db.colls) {
      const c = collectionOf(state, db.name, coll.name);
      if (c.docs.size !== expected.get(c)) {
        throw corruptSnapshot(
          file,
          `${db.name}.${coll.name} has ${c.docs.size} documents, the header says ${coll.count}`,
        );
      }
    }
  }
  return state;
}

// ---------------------------------------------------------------------------------------------------
// Journal

/**
 * Replays every good frame over `state` and returns the byte length of the good prefix.
 * A bad frame ends the replay: with appends whole frames at a time, only the last write can be torn.
 */
function replayJournal(file: string, state: WorkingState, logger: PersistenceLogger): number {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return 0;
    throw err;
  }

  let offset = 0;
  let frames = 0;
  while (offset < buf.length) {
    const frame = readFrame(buf, offset);
    if (!frame.ok || !Array.isArray(frame.doc.r)) {
      const reason = frame.ok ? 'frame without a records array' : frame.reason;
      logger.warn(
        { file, goodFrames: frames, keptBytes: offset, discardedBytes: buf.length - offset, reason },
        `journal: discarded ${buf.length - offset} bytes of torn or corrupt tail (${reason})`,
      );
      fs.truncateSync(file, offset);
      return offset;
    }
    for (const record of frame.doc.r as JournalRecord[]) applyRecord(state, record);
    frames++;
    offset = frame.end;
  }
  return offset;
}

// ---------------------------------------------------------------------------------------------------
// Lock

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM'; // it exists, it just is not ours to signal
  }
}

/** undefined when the file is gone; NaN when it holds no usable PID. */
function readLockPid(file: string): number | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    // Only a positive integer: process.kill(0 or -n) would signal process groups.
    return /^[1-9]\d*$/.test(text) ? Number(text) : NaN;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The PID is written to a private file first and hard-linked into place, so the lock appears atomically and
 * is never seen empty by another process. Two processes taking over the same stale lock at the same instant
 * could still both win; that needs a crash and a simultaneous double start, and is not worth a lock daemon.
 */
function acquireLock(dir: string, logger: PersistenceLogger): string {
  const file = path.join(dir, LOCK_FILE);
  const mine = path.join(dir, `${LOCK_FILE}.${process.pid}.tmp`);
  fs.writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(mine, file);
        return file;
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err;
      }
      const holder = readLockPid(file);
      if (holder === undefined) continue; // released between our link and our read
      if (!Number.isNaN(holder) && isAlive(holder)) {
        throw new Error(
          `Data directory ${dir} is in use by process ${holder} (lock file ${file}). ` +
            'Stop that process, or delete the lock file if you are sure it is not an engine using this directory.',
        );
      }
      logger.warn({ file, stalePid: Number.isNaN(holder) ? null : holder }, 'taking over a stale lock file');
      fs.rmSync(file, { force: true });
    }
    throw new Error(`Could not lock data directory ${dir}: ${file} kept reappearing`);
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

/** mongod's own files: a directory holding them belongs to a real mongod (mongodb-memory-server's, say). */
const MONGOD_MARKERS = ['mongod.lock', 'WiredTiger', 'storage.bson'];

function refuseMongodDirectory(dir: string): void {
  const marker = MONGOD_MARKERS.find((name) => fs.existsSync(path.join(dir, name)));
  if (marker) {
    throw new Error(
      `Data directory ${dir} belongs to a mongod (it holds ${marker}); give the embedded engine a folder of its own`,
    );
  }
}

function releaseLock(file: string): void {
  // Only remove our own lock: if another process took it over, it is theirs now.
  if (readLockPid(file) === process.pid) fs.rmSync(file, { force: true });
}

// ---------------------------------------------------------------------------------------------------

class FilePersistence implements Persistence {
  private fd: number | undefined;
  private size: number;
  /** Set when a failed append could not be rolled back: later frames would be hidden behind its garbage. */
  private broken: Error | undefined;

  constructor(
    private readonly dir: string,
    private readonly lockFile: string,
    readonly loaded: PersistedState,
    fd: number,
    size: number,
    private readonly logger: PersistenceLogger,
  ) {
    this.fd = fd;
    this.size = size;
  }

  get journalBytes(): number {
    return this.size;
  }

  /**
   * No fsync here: writeSync has handed the bytes to the OS, which keeps them through a crash of this
   * process; only a power or kernel failure loses them. An fsync per command would cost milliseconds each,
   * far more than the rest of the command. Durability against power loss comes from compact and close.
   */
  append(records: JournalRecord[]): void {
    const fd = this.openFd('append');
    if (this.broken)
      throw new Error(`Journal in ${this.dir} is unusable after an earlier write error: ${this.broken.message}`);
    if (records.length === 0) return; // a command that changed nothing needs no frame
    const frame = encodeFrame(
      serializeWithArray(
        {},
        'r',
        records.map((record) => serialize(record)),
      ),
    );
    try {
      writeAll(fd, frame);
    } catch (err) {
      this.rollBackPartialWrite(fd, err as Error);
      throw err;
    }
    this.size += frame.length;
  }

  compact(state: PersistedState): void {
    const fd = this.openFd('compact');
    const started = performance.now();
    const snapshotBytes = writeSnapshot(this.dir, state);
    // From here the snapshot holds everything the journal does. A crash before the truncate below is still
    // safe: every record sets or removes something outright, so replaying the journal over a snapshot that
    // already includes it changes nothing.
    fs.ftruncateSync(fd, 0);
    fs.fsyncSync(fd);
    const journalBytes = this.size;
    this.size = 0;
    this.broken = undefined;
    this.logger.info(
      { dir: this.dir, snapshotBytes, journalBytes, ms: Math.round(performance.now() - started) },
      'data directory compacted',
    );
  }

  close(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    try {
      fs.fsyncSync(fd);
    } finally {
      try {
        fs.closeSync(fd);
      } finally {
        releaseLock(this.lockFile);
      }
    }
  }

  private openFd(operation: string): number {
    if (this.fd === undefined) throw new Error(`Cannot ${operation}: persistence for ${this.dir} is closed`);
    return this.fd;
  }

  /** Cuts a partly written frame off so the next append does not land behind garbage. */
  private rollBackPartialWrite(fd: number, cause: Error): void {
    try {
      fs.ftruncateSync(fd, this.size);
    } catch (err) {
      this.broken = cause;
      this.logger.warn(
        { dir: this.dir, err, cause: cause.message },
        'journal: could not remove a partly written frame; appends are refused until the next compaction',
      );
    }
  }
}

function countDocuments(state: WorkingState): { collections: number; documents: number } {
  let collections = 0;
  let documents = 0;
  for (const colls of state.values()) {
    for (const c of colls.values()) {
      collections++;
      documents += c.docs.size;
    }
  }
  return { collections, documents };
}

/** Opens (creating if needed) a data directory, locks it, and recovers its state. */
export function openPersistence(dir: string, logger: PersistenceLogger): Persistence {
  fs.mkdirSync(dir, { recursive: true });
  refuseMongodDirectory(dir);
  const lockFile = acquireLock(dir, logger);
  try {
    const started = performance.now();
    // A leftover temp file is a compaction that crashed before its rename: the old snapshot is still whole.
    fs.rmSync(path.join(dir, SNAPSHOT_TMP_FILE), { force: true });
    const state = readSnapshot(path.join(dir, SNAPSHOT_FILE));
    const journalFile = path.join(dir, JOURNAL_FILE);
    const journalBytes = replayJournal(journalFile, state, logger);
    const fd = fs.openSync(journalFile, 'a');
    logger.info(
      { dir, ...countDocuments(state), journalBytes, ms: Math.round(performance.now() - started) },
      'data directory opened',
    );
    return new FilePersistence(dir, lockFile, toPersisted(state), fd, journalBytes, logger);
  } catch (err) {
    releaseLock(lockFile);
    throw err;
  }
}
