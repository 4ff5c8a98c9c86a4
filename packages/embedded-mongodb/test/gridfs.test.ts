import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, MongoClient, MongoRuntimeError, type ObjectId } from 'mongodb';
import { Collection } from '../src/collection';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';

// What the driver's GridFSBucket needs of a server (the shop keeps product photos in GridFS): the
// files and chunks collections with their indexes, streams in and out in chunks, ranges, look-ups
// by name, deletion of both halves, and the files surviving a restart.

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function upload(bucket: GridFSBucket, name: string, data: Buffer, metadata?: object): Promise<ObjectId> {
  const stream = bucket.openUploadStream(name, { metadata });
  await pipeline(Readable.from([data]), stream);
  return stream.id;
}

async function download(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Bytes that differ from chunk to chunk, so a chunk out of order would show. */
const bytes = (length: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 7 + (i >> 10)) % 256));

describe('GridFSBucket through the driver', () => {
  let server: EmbeddedMongo;
  let client: MongoClient;
  let bucket: GridFSBucket;

  beforeAll(async () => {
    server = await startEmbeddedMongo({ port: 0 });
    client = await MongoClient.connect(`${server.uri}/gridfs`);
    bucket = new GridFSBucket(client.db(), { bucketName: 'photos', chunkSizeBytes: 1000 });
  });

  afterAll(async () => {
    await client.close();
    await server.stop();
  });

  test('a file in several chunks comes back whole, in part, and by name; its indexes are made', async () => {
    const data = bytes(3500);
    const id = await upload(bucket, 'a/640', data, { width: 640 });

    const files = client.db().collection('photos.files');
    const chunks = client.db().collection('photos.chunks');
    expect(await chunks.countDocuments({ files_id: id })).toBe(4);
    expect(await files.findOne({ _id: id })).toMatchObject({ length: 3500, chunkSize: 1000, metadata: { width: 640 } });
    expect((await files.indexes()).map((index) => index.key)).toEqual([{ _id: 1 }, { filename: 1, uploadDate: 1 }]);
    expect(await chunks.indexes()).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: { files_id: 1, n: 1 }, unique: true })]),
    );

    expect((await download(bucket.openDownloadStream(id))).equals(data)).toBe(true);
    expect(
      (await download(bucket.openDownloadStream(id, { start: 900, end: 2100 }))).equals(data.subarray(900, 2100)),
    ).toBe(true);
    expect((await download(bucket.openDownloadStreamByName('a/640'))).equals(data)).toBe(true);
    expect(await bucket.find({ filename: { $in: ['a/640', 'b/640'] } }).toArray()).toHaveLength(1);
  });

  test('deleting a file removes its document and every chunk; a second delete says it is gone', async () => {
    const id = await upload(bucket, 'gone', bytes(2500));
    await upload(bucket, 'kept', bytes(10));
    await bucket.delete(id);
    const db = client.db();
    expect(await db.collection('photos.files').countDocuments({ _id: id })).toBe(0);
    expect(await db.collection('photos.chunks').countDocuments({ files_id: id })).toBe(0);
    expect(await db.collection('photos.files').countDocuments({ filename: 'kept' })).toBe(1);
    const again = await bucket.delete(id).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(MongoRuntimeError);
    expect((again as Error).message).toMatch(/^File not found for id/);
  });

  test('an empty file is a file document without chunks', async () => {
    const id = await upload(bucket, 'empty', Buffer.alloc(0));
    expect((await download(bucket.openDownloadStream(id))).length).toBe(0);
    expect(await client.db().collection('photos.chunks').countDocuments({ files_id: id })).toBe(0);
  });
});

test('files survive a restart of an engine with a data directory', async () => {
  const dbPath = fs.mkdtempSync(path.join(os.tmpdir(), 'gridfs-test-'));
  dirs.push(dbPath);
  // Larger than the default chunk (255 kB): several chunks of binary data through the journal.
  const data = bytes(600_000);
  let server = await startEmbeddedMongo({ port: 0, dbPath });
  let client = await MongoClient.connect(`${server.uri}/gridfs`);
  const id = await upload(new GridFSBucket(client.db()), 'big', data);
  await client.close();
  await server.stop();

  server = await startEmbeddedMongo({ port: 0, dbPath });
  client = await MongoClient.connect(`${server.uri}/gridfs`);
  try {
    expect((await download(new GridFSBucket(client.db()).openDownloadStream(id))).equals(data)).toBe(true);
  } finally {
    await client.close();
    await server.stop();
  }
});

test("a compound index's leading field is a lookup: GridFS reads one file's chunks, not all", () => {
  const chunks = new Collection('db', 'photos.chunks');
  chunks.createIndex({ name: 'files_id_1_n_1', key: { files_id: 1, n: 1 }, unique: true });
  for (let file = 0; file < 1000; file++)
    for (let n = 0; n < 3; n++) chunks.insert({ _id: file * 3 + n, files_id: file, n });
  expect([...chunks.candidates({ files_id: 42 })].map((doc) => doc._id)).toEqual([126, 127, 128]);
  expect([...chunks.candidates({ files_id: { $in: [1, 2] } })]).toHaveLength(6);

  // Kept in step with every change: a removed or replaced document leaves its old key.
  chunks.remove({ _id: 126, files_id: 42, n: 0 });
  chunks.replace({ _id: 127, files_id: 42, n: 1 }, { _id: 127, files_id: 43, n: 9 });
  expect([...chunks.candidates({ files_id: 42 })].map((doc) => doc._id)).toEqual([128]);
  expect([...chunks.candidates({ files_id: 43 })]).toHaveLength(4);

  // An array's elements are keys (MongoDB's multikey rule), as in a single-field index.
  chunks.insert({ _id: 'multi', files_id: [7000, 7001], n: 0 });
  expect([...chunks.candidates({ files_id: 7001 })].map((doc) => doc._id)).toEqual(['multi']);

  // An index made over existing documents has them too; a filter on the second field alone still scans.
  const files = new Collection('db', 'photos.files');
  for (let n = 0; n < 100; n++) files.insert({ _id: n, filename: `f${n % 10}`, uploadDate: new Date(n) });
  files.createIndex({ name: 'filename_1_uploadDate_1', key: { filename: 1, uploadDate: 1 } });
  expect([...files.candidates({ filename: 'f3' })]).toHaveLength(10);
  expect([...files.candidates({ uploadDate: new Date(3) })]).toHaveLength(100);
});
