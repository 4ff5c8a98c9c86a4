import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';

// `npm run db` as other processes see it: a server that mongoose and the plain driver share, and
// whose data directory survives a clean stop and a crash (SIGKILL) alike.

const root = path.join(__dirname, '..');
let dataDir: string;
const children = new Set<ChildProcess>();

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-process-'));
});

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `npm run db -- --port 0 --dbpath DIR` (without npm's overhead) and reads its URI. */
async function startDb(): Promise<{ uri: string; child: ChildProcess }> {
  // node --import tsx, not the tsx binary: that one runs the script in a child process of its own,
  // and the crash test must kill the engine itself.
  const cli = path.join(root, 'src', 'cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--dbpath', dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const uri = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /MONGODB_URI=(mongodb:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`npm run db exited with ${code}: ${output}`)));
  });
  return { uri, child };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('serves mongoose and the plain driver from another process, and keeps the data over a restart', async () => {
  const first = await startDb();
  const Note = mongoose.model('Note', new mongoose.Schema({ text: { type: String, unique: true } }));
  const connection = await mongoose.createConnection(first.uri).asPromise();
  const NoteHere = connection.model('Note', Note.schema);
  await NoteHere.init();
  await NoteHere.create({ text: 'written by mongoose' });
  const client = await MongoClient.connect(first.uri);
  expect(
    await client
      .db()
      .collection('notes')
      .findOne({}, { projection: { _id: 0, text: 1 } }),
  ).toEqual({
    text: 'written by mongoose',
  });
  await client.close();
  await connection.close();

  first.child.kill('SIGTERM');
  expect(await exited(first.child)).toBe(0);

  const second = await startDb();
  const again = await MongoClient.connect(second.uri);
  const notes = again.db().collection('notes');
  expect(await notes.countDocuments()).toBe(1);
  // The unique index came back too.
  await expect(notes.insertOne({ text: 'written by mongoose' })).rejects.toMatchObject({ code: 11000 });
  await again.close();
});

test('a crash (SIGKILL) loses no acknowledged write', async () => {
  const first = await startDb();
  const client = await MongoClient.connect(first.uri);
  const items = client.db().collection('items');
  for (let n = 0; n < 200; n++) await items.insertOne({ n });
  await items.updateOne({ n: 7 }, { $set: { touched: true } });
  first.child.kill('SIGKILL');
  await exited(first.child);
  await client.close(true);

  const second = await startDb();
  const again = await MongoClient.connect(second.uri);
  const reopened = again.db().collection('items');
  expect(await reopened.countDocuments()).toBe(200);
  expect(await reopened.findOne({ n: 7 })).toMatchObject({ touched: true });
  await again.close();
});

test('refuses a second engine on the same data directory', async () => {
  await startDb();
  await expect(startDb()).rejects.toThrow(/mongod\.lock|lock/i);
});
