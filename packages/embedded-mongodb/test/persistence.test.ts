import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Binary, Decimal128, Long, ObjectId, Timestamp, type Document } from 'bson';
import { openPersistence, type PersistenceLogger } from '../src/persistence';
import type { JournalRecord, PersistedState, Persistence } from '../src/persistence-types';

interface LogEntry {
  level: 'warn' | 'info';
  obj: object;
  msg?: string;
}

function recordingLogger(): PersistenceLogger & { entries: LogEntry[]; warnings(): LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
    info: (obj, msg) => entries.push({ level: 'info', obj, msg }),
    warnings: () => entries.filter((e) => e.level === 'warn'),
  };
}

const dirs: string[] = [];
const opened: Persistence[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'persistence-test-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string, logger: PersistenceLogger = recordingLogger()): Persistence {
  const p = openPersistence(dir, logger);
  opened.push(p);
  return p;
}

/** Closes and reopens, as a restart would. */
function reopen(p: Persistence, dir: string, logger?: PersistenceLogger): Persistence {
  p.close();
  return open(dir, logger);
}

afterEach(() => {
  for (const p of opened.splice(0)) p.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function docs(state: PersistedState, db: string, coll: string): Document[] | undefined {
  return state.get(db)?.get(coll)?.docs;
}

const put = (db: string, coll: string, doc: Document): JournalRecord => ({ op: 'put', db, coll, doc });

/** Start offsets of each frame in a framed file, plus its end. */
function frameOffsets(file: string): number[] {
  const buf = fs.readFileSync(file);
  const offsets = [0];
  for (let at = 0; at < buf.length;) {
    at += 8 + buf.readUInt32LE(at);
    offsets.push(at);
  }
  return offsets;
}

describe('openPersistence', () => {
  it('starts empty in a new directory, creating it', () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const p = open(dir);
    expect(p.loaded.size).toBe(0);
    expect(p.journalBytes).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'embedded-mongodb.lock'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('replays every record kind across a restart', () => {
    const dir = tempDir();
    let p = open(dir);
    p.append([{ op: 'createCollection', db: 'shop', coll: 'empty' }]);
    p.append([put('shop', 'products', { _id: 1, name: 'a' }), put('shop', 'products', { _id: 2, name: 'b' })]);
    p.append([put('shop', 'products', { _id: 1, name: 'a2' })]);
    p.append([{ op: 'del', db: 'shop', coll: 'products', id: 2 }]);
    p.append([{ op: 'createIndex', db: 'shop', coll: 'products', index: { name: 'name_1', key: { name: 1 } } }]);
    p.append([
      { op: 'createIndex', db: 'shop', coll: 'products', index: { name: 'name_1', key: { name: -1 }, unique: true } },
    ]);
    p.append([{ op: 'createIndex', db: 'shop', coll: 'products', index: { name: 'x_1', key: { x: 1 } } }]);
    p.append([{ op: 'dropIndex', db: 'shop', coll: 'products', name: 'x_1' }]);
    // Implicit creation by createIndex, then a collection and a database that get dropped.
    p.append([
      { op: 'createIndex', db: 'shop', coll: 'sessions', index: { name: 'exp', key: { e: 1 }, expireAfterSeconds: 0 } },
    ]);
    p.append([put('shop', 'gone', { _id: 'x' }), { op: 'dropCollection', db: 'shop', coll: 'gone' }]);
    p.append([put('lonely', 'only', { _id: 'z' }), { op: 'dropCollection', db: 'lonely', coll: 'only' }]);
    p.append([put('other', 'c', { _id: 'y' })]);
    p.append([{ op: 'dropDatabase', db: 'other' }]);
    // Operations on things that do not exist are no-ops, not errors.
    p.append([
      { op: 'del', db: 'nope', coll: 'nope', id: 1 },
      { op: 'dropIndex', db: 'nope', coll: 'c', name: 'i' },
    ]);
    const bytes = p.journalBytes;
    expect(bytes).toBe(fs.statSync(path.join(dir, 'journal.bson')).size);

    p = reopen(p, dir);
    expect(p.journalBytes).toBe(bytes);
    expect([...p.loaded.keys()]).toEqual(['shop']);
    const shop = p.loaded.get('shop')!;
    expect([...shop.keys()].sort()).toEqual(['empty', 'products', 'sessions']);
    expect(shop.get('empty')).toEqual({ docs: [], indexes: [] });
    expect(shop.get('products')).toEqual({
      docs: [{ _id: 1, name: 'a2' }],
      indexes: [{ name: 'name_1', key: { name: -1 }, unique: true }],
    });
    expect(shop.get('sessions')).toEqual({
      docs: [],
      indexes: [{ name: 'exp', key: { e: 1 }, expireAfterSeconds: 0 }],
    });
  });

  it('keeps collection options across a restart and a compaction', () => {
    const dir = tempDir();
    let p = open(dir);
    const options = { validator: { age: { $gte: 0 } }, validationLevel: 'moderate' as const };
    p.append([
      { op: 'createCollection', db: 'shop', coll: 'people' },
      { op: 'collectionOptions', db: 'shop', coll: 'people', options },
    ]);
    p.append([{ op: 'createCollection', db: 'shop', coll: 'plain' }]);
    p = reopen(p, dir);
    expect(p.loaded.get('shop')!.get('people')).toEqual({ docs: [], indexes: [], options });
    expect(p.loaded.get('shop')!.get('plain')).toEqual({ docs: [], indexes: [] });
    p.compact(p.loaded);
    p = reopen(p, dir);
    expect(p.journalBytes).toBe(0);
    expect(p.loaded.get('shop')!.get('people')).toEqual({ docs: [], indexes: [], options });
    // A later collMod replaces them whole.
    p.append([{ op: 'collectionOptions', db: 'shop', coll: 'people', options: { validationAction: 'warn' } }]);
    p = reopen(p, dir);
    expect(p.loaded.get('shop')!.get('people')!.options).toEqual({ validationAction: 'warn' });
  });

  it('keeps ObjectId and string ids with the same text apart', () => {
    const dir = tempDir();
    const oid = new ObjectId();
    let p = open(dir);
    p.append([put('d', 'c', { _id: oid, kind: 'oid' }), put('d', 'c', { _id: oid.toHexString(), kind: 'string' })]);
    p.append([put('d', 'c', { _id: 1, kind: 'int' }), put('d', 'c', { _id: '1', kind: 'string 1' })]);
    p.append([{ op: 'del', db: 'd', coll: 'c', id: oid.toHexString() }]);
    p = reopen(p, dir);
    expect(docs(p.loaded, 'd', 'c')!.map((d) => d.kind)).toEqual(['oid', 'int', 'string 1']);
  });

  it('round-trips BSON types exactly', () => {
    const dir = tempDir();
    const doc = {
      _id: new ObjectId(),
      int: 1,
      double: 1.5,
      negative: -7,
      big: 2 ** 40,
      long: Long.fromString('9007199254740993'),
      smallLong: Long.fromNumber(3),
      decimal: Decimal128.fromString('19.99'),
      date: new Date('2024-02-29T12:34:56.789Z'),
      nil: null,
      bool: false,
      text: 'héllo ✓',
      binary: new Binary(Buffer.from([0, 1, 2, 255])),
      ts: new Timestamp({ t: 5, i: 6 }),
      nested: { a: [1, [2, [3, { b: new ObjectId() }]], null], empty: {}, list: [] },
    };
    let p = open(dir);
    p.append([put('d', 'c', doc)]);
    p = reopen(p, dir);
    const [back] = docs(p.loaded, 'd', 'c')!;
    expect(back).toEqual(doc);
    expect(back._id).toBeInstanceOf(ObjectId);
    expect(typeof back.int).toBe('number');
    expect(typeof back.double).toBe('number');
    expect(back.double).toBe(1.5);
    expect(back.long).toBeInstanceOf(Long);
    expect(back.long.toString()).toBe('9007199254740993');
    expect(back.smallLong).toBeInstanceOf(Long);
    expect(back.decimal).toBeInstanceOf(Decimal128);
    expect(back.decimal.toString()).toBe('19.99');
    expect(back.date).toBeInstanceOf(Date);
    expect(back.date.getTime()).toBe(doc.date.getTime());
    expect(back.binary).toBeInstanceOf(Binary);
    expect(back.ts).toBeInstanceOf(Timestamp);
    expect(back.nested.a[1][1][1].b).toBeInstanceOf(ObjectId);

    // And the same through a snapshot.
    p.compact(p.loaded);
    p = reopen(p, dir);
    expect(docs(p.loaded, 'd', 'c')).toEqual([doc]);
  });

  it('discards a torn tail, truncates the journal, and keeps later appends readable', () => {
    const dir = tempDir();
    const journal = path.join(dir, 'journal.bson');
    let p = open(dir);
    for (const n of [1, 2, 3]) p.append([put('d', 'c', { _id: n, pad: 'x'.repeat(50) })]);
    p.close();

    const [, second, third, end] = frameOffsets(journal);
    fs.truncateSync(journal, third + Math.floor((end - third) / 2));

    const logger = recordingLogger();
    p = open(dir, logger);
    expect(docs(p.loaded, 'd', 'c')!.map((d) => d._id)).toEqual([1, 2]);
    expect(logger.warnings()).toHaveLength(1);
    expect(logger.warnings()[0].obj).toMatchObject({ discardedBytes: Math.floor((end - third) / 2), keptBytes: third });
    expect(logger.warnings()[0].msg).toMatch(/discarded \d+ bytes/);
    expect(fs.statSync(journal).size).toBe(third);
    expect(p.journalBytes).toBe(third);
    expect(second).toBeGreaterThan(0);

    p.append([put('d', 'c', { _id: 4 })]);
    const quiet = recordingLogger();
    p = reopen(p, dir, quiet);
    expect(docs(p.loaded, 'd', 'c')!.map((d) => d._id)).toEqual([1, 2, 4]);
    expect(quiet.warnings()).toHaveLength(0);
  });

  it('handles tails torn inside the frame header and zero-filled tails', () => {
    const dir = tempDir();
    const journal = path.join(dir, 'journal.bson');
    let p = open(dir);
    p.append([put('d', 'c', { _id: 1 })]);
    const good = p.journalBytes;
    p.close();

    fs.appendFileSync(journal, Buffer.from([7, 0, 0]));
    let logger = recordingLogger();
    p = open(dir, logger);
    expect(docs(p.loaded, 'd', 'c')).toHaveLength(1);
    expect(logger.warnings()[0].obj).toMatchObject({ discardedBytes: 3 });
    p.close();

    // A crash can leave zeroed blocks: length 0 with crc32('') = 0 must not pass as a frame.
    fs.appendFileSync(journal, Buffer.alloc(4096));
    logger = recordingLogger();
    p = open(dir, logger);
    expect(docs(p.loaded, 'd', 'c')).toHaveLength(1);
    expect(logger.warnings()[0].obj).toMatchObject({ discardedBytes: 4096 });
    expect(fs.statSync(journal).size).toBe(good);
  });

  it('stops at a frame with a bad checksum, keeping the frames before it', () => {
    const dir = tempDir();
    const journal = path.join(dir, 'journal.bson');
    let p = open(dir);
    for (const n of [1, 2, 3]) p.append([put('d', 'c', { _id: n })]);
    p.close();

    const [, second, third, end] = frameOffsets(journal);
    const buf = fs.readFileSync(journal);
    buf[second + 4] ^= 0xff; // the crc of the middle frame
    fs.writeFileSync(journal, buf);

    const logger = recordingLogger();
    p = open(dir, logger);
    expect(docs(p.loaded, 'd', 'c')!.map((d) => d._id)).toEqual([1]);
    expect(logger.warnings()).toHaveLength(1);
    expect(logger.warnings()[0].obj).toMatchObject({ discardedBytes: end - second, reason: 'checksum mismatch' });
    expect(fs.statSync(journal).size).toBe(second);
    expect(third).toBeGreaterThan(second);
  });

  it('detects a flipped payload byte too', () => {
    const dir = tempDir();
    const journal = path.join(dir, 'journal.bson');
    let p = open(dir);
    for (const n of [1, 2]) p.append([put('d', 'c', { _id: n, s: 'abc' })]);
    p.close();
    const [, second, end] = frameOffsets(journal);
    const buf = fs.readFileSync(journal);
    buf[end - 3] ^= 0x01; // inside the string 'abc' of the second frame
    fs.writeFileSync(journal, buf);
    p = open(dir);
    expect(docs(p.loaded, 'd', 'c')!.map((d) => d._id)).toEqual([1]);
    expect(fs.statSync(journal).size).toBe(second);
  });

  it('compacts, keeps appending, and recovers snapshot plus journal', () => {
    const dir = tempDir();
    let p = open(dir);
    p.append([put('d', 'c', { _id: 1, v: 'old' }), put('d', 'c', { _id: 2 })]);
    p.append([{ op: 'createIndex', db: 'd', coll: 'c', index: { name: 'v_1', key: { v: 1 }, sparse: true } }]);
    p.append([{ op: 'createCollection', db: 'd', coll: 'empty' }]);
    p = reopen(p, dir);
    p.compact(p.loaded);
    expect(p.journalBytes).toBe(0);
    expect(fs.statSync(path.join(dir, 'journal.bson')).size).toBe(0);
    expect(fs.existsSync(path.join(dir, 'snapshot.bson.tmp'))).toBe(false);

    p.append([put('d', 'c', { _id: 1, v: 'new' }), { op: 'del', db: 'd', coll: 'c', id: 2 }]);
    p.append([put('d', 'c', { _id: 3 })]);
    expect(p.journalBytes).toBeGreaterThan(0);
    p = reopen(p, dir);
    expect(p.loaded.get('d')!.get('c')).toEqual({
      docs: [{ _id: 1, v: 'new' }, { _id: 3 }],
      indexes: [{ name: 'v_1', key: { v: 1 }, sparse: true }],
    });
    expect(p.loaded.get('d')!.get('empty')).toEqual({ docs: [], indexes: [] });
  });

  it('replaying a journal over the snapshot that already contains it changes nothing', () => {
    // The crash window between compact's rename and its journal truncate.
    const dir = tempDir();
    const journal = path.join(dir, 'journal.bson');
    let p = open(dir);
    p.append([put('d', 'c', { _id: 1 }), put('d', 'c', { _id: 2 }), { op: 'del', db: 'd', coll: 'c', id: 1 }]);
    p.append([put('d', 'x', { _id: 9 }), { op: 'dropCollection', db: 'd', coll: 'x' }, put('d', 'c', { _id: 1 })]);
    p = reopen(p, dir);
    const before = p.loaded;
    const savedJournal = fs.readFileSync(journal);
    p.compact(p.loaded);
    p.close();
    fs.writeFileSync(journal, savedJournal);
    p = open(dir);
    expect(p.loaded).toEqual(before);
  });

  it('refuses to open a corrupt snapshot', () => {
    const dir = tempDir();
    const p = open(dir);
    p.append([put('d', 'c', { _id: 1 })]);
    p.compact(p.loaded);
    p.close();
    const snapshot = path.join(dir, 'snapshot.bson');
    const buf = fs.readFileSync(snapshot);
    buf[buf.length - 2] ^= 0xff;
    fs.writeFileSync(snapshot, buf);
    expect(() => open(dir)).toThrow(/snapshot\.bson is corrupt.*checksum mismatch/);
    // The failed open released the lock.
    expect(fs.existsSync(path.join(dir, 'embedded-mongodb.lock'))).toBe(false);
  });

  it('ignores a leftover temp snapshot from a compaction that crashed', () => {
    const dir = tempDir();
    let p = open(dir);
    p.append([put('d', 'c', { _id: 1 })]);
    p.close();
    fs.writeFileSync(path.join(dir, 'snapshot.bson.tmp'), 'half a snapshot');
    p = open(dir);
    expect(docs(p.loaded, 'd', 'c')).toEqual([{ _id: 1 }]);
    expect(fs.existsSync(path.join(dir, 'snapshot.bson.tmp'))).toBe(false);
  });

  it('compacts and reloads 100,000 documents', () => {
    const dir = tempDir();
    let p = open(dir);
    const state: PersistedState = new Map([
      [
        'shop',
        new Map([
          [
            'products',
            {
              docs: Array.from({ length: 100_000 }, (_, i) => ({
                _id: new ObjectId(),
                sku: `SKU-${i}`,
                price: Decimal128.fromString(`${i}.99`),
                qty: i % 17,
                created: new Date(1_700_000_000_000 + i),
              })),
              indexes: [{ name: 'sku_1', key: { sku: 1 as const }, unique: true }],
            },
          ],
        ]),
      ],
    ]);

    let started = performance.now();
    p.compact(state);
    const compactMs = performance.now() - started;
    const snapshotBytes = fs.statSync(path.join(dir, 'snapshot.bson')).size;

    p.close();
    started = performance.now();
    p = open(dir);
    const reloadMs = performance.now() - started;

    const products = p.loaded.get('shop')!.get('products')!;
    expect(products.docs).toHaveLength(100_000);
    expect(products.docs[0]).toEqual(state.get('shop')!.get('products')!.docs[0]);
    expect(products.docs[99_999]).toEqual(state.get('shop')!.get('products')!.docs[99_999]);
    expect(products.docs[12_345].sku).toBe('SKU-12345');
    expect(products.indexes).toEqual([{ name: 'sku_1', key: { sku: 1 }, unique: true }]);
    console.log(
      `100,000 docs: snapshot ${(snapshotBytes / 1024 / 1024).toFixed(1)} MiB, ` +
        `compact ${compactMs.toFixed(0)} ms, reload ${reloadMs.toFixed(0)} ms`,
    );
  }, 60_000); // mostly building and comparing the documents; slow on a loaded CI machine

  it('appends one command larger than bson’s 16 MiB serialize buffer as one frame', () => {
    const dir = tempDir();
    let p = open(dir);
    const big = 'x'.repeat(1024 * 1024);
    const records = Array.from({ length: 20 }, (_, i) => put('d', 'c', { _id: i, big }));
    p.append(records);
    expect(frameOffsets(path.join(dir, 'journal.bson'))).toHaveLength(2);
    p = reopen(p, dir);
    expect(docs(p.loaded, 'd', 'c')).toHaveLength(20);
    expect(docs(p.loaded, 'd', 'c')![19].big).toBe(big);
  });

  it('refuses a second open of a directory that is in use, naming directory and pid', () => {
    const dir = tempDir();
    const p = open(dir);
    expect(() => openPersistence(dir, recordingLogger())).toThrow(
      new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*in use by process ${process.pid}`),
    );
    p.close();
    // Released: it opens now.
    open(dir);
  });

  it('takes over a stale lock whose process is gone', () => {
    const dir = tempDir();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    fs.writeFileSync(path.join(dir, 'embedded-mongodb.lock'), `${deadPid}\n`);
    const logger = recordingLogger();
    open(dir, logger);
    expect(fs.readFileSync(path.join(dir, 'embedded-mongodb.lock'), 'utf8').trim()).toBe(String(process.pid));
    expect(logger.warnings()[0].obj).toMatchObject({ stalePid: deadPid });
  });

  it('takes over a lock file with garbage in it', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'embedded-mongodb.lock'), '');
    open(dir);
    expect(fs.readFileSync(path.join(dir, 'embedded-mongodb.lock'), 'utf8').trim()).toBe(String(process.pid));
  });

  it("refuses a mongod's data directory instead of taking over its empty mongod.lock", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'mongod.lock'), '');
    expect(() => open(dir)).toThrow(/belongs to a mongod \(it holds mongod.lock\)/);
    expect(fs.readFileSync(path.join(dir, 'mongod.lock'), 'utf8')).toBe('');
    expect(fs.existsSync(path.join(dir, 'embedded-mongodb.lock'))).toBe(false);
  });

  it('close is idempotent, removes the lock, and later use throws', () => {
    const dir = tempDir();
    const p = open(dir);
    p.append([put('d', 'c', { _id: 1 })]);
    p.close();
    expect(() => p.close()).not.toThrow();
    expect(fs.existsSync(path.join(dir, 'embedded-mongodb.lock'))).toBe(false);
    expect(() => p.append([put('d', 'c', { _id: 2 })])).toThrow(/closed/);
    expect(() => p.compact(new Map())).toThrow(/closed/);
  });

  it('throws disk errors from append, removing any partly written frame', () => {
    const dir = tempDir();
    const journal = path.join(dir, 'journal.bson');
    let p = open(dir);
    p.append([put('d', 'c', { _id: 1 })]);
    const before = p.journalBytes;

    // The disk fills up halfway through the next frame.
    const realWriteSync = fs.writeSync as (fd: number, buf: Uint8Array, off: number, len: number) => number;
    const spy = jest.spyOn(fs, 'writeSync').mockImplementation(((
      fd: number,
      buf: Uint8Array,
      off?: number | null,
      len?: number,
    ) => {
      if (off) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return realWriteSync(fd, buf, 0, Math.floor((len ?? buf.length) / 2));
    }) as typeof fs.writeSync);
    try {
      expect(() => p.append([put('d', 'c', { _id: 2, s: 'y'.repeat(100) })])).toThrow(/ENOSPC/);
    } finally {
      spy.mockRestore();
    }
    expect(p.journalBytes).toBe(before);
    expect(fs.statSync(journal).size).toBe(before);

    p.append([put('d', 'c', { _id: 3 })]);
    const logger = recordingLogger();
    p = reopen(p, dir, logger);
    expect(docs(p.loaded, 'd', 'c')!.map((d) => d._id)).toEqual([1, 3]);
    expect(logger.warnings()).toHaveLength(0);
  });
});
