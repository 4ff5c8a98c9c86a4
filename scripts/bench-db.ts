/**
 * npm run bench:db — operations per second of the database the shop would use, at 1,000 and
 * 100,000 documents: insert, find by _id, find by a filter, update by _id.
 *
 * With MONGODB_URI it measures that server; otherwise it starts the embedded engine in its own
 * process (as `npm run db` does) so that the client and the server each get a core.
 * Options: --seconds N (per measurement, default 2), --concurrency N (default 16), --out FILE.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { MongoClient, ObjectId, type Collection } from 'mongodb';
import { loadConfig, redactUri } from '../src/config';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
    out: { type: 'string', default: path.join('bench-results', 'db.json') },
  },
});
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const SIZES = [1_000, 100_000];

interface Measurement {
  operation: string;
  documents: number;
  opsPerSecond: number;
  meanMs: number;
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const config = loadConfig(process.env);
  const { uri, child } = config.mongodbUri ? { uri: config.mongodbUri, child: undefined } : await startEngineProcess();
  console.log(`bench:db against ${redactUri(uri)}${child ? ' (embedded engine, own process)' : ''}`);
  console.log(`${seconds} s per measurement, ${concurrency} concurrent operations\n`);

  const client = await MongoClient.connect(uri, { maxPoolSize: concurrency });
  const db = client.db(`bench_db_${process.pid}`);
  const results: Measurement[] = [];
  try {
    for (const size of SIZES) {
      const collection = db.collection<BenchDoc>(`docs_${size}`);
      await collection.drop().catch(() => undefined);
      const ids = await fill(collection, size);
      results.push(await measure('insert', size, () => collection.insertOne(makeDoc(size + Math.random()))));
      results.push(await measure('find by _id', size, () => collection.findOne({ _id: pick(ids) })));
      results.push(
        await measure('find by filter', size, () =>
          collection
            .find({ category: `c${Math.floor(Math.random() * 50)}`, price: { $lt: 20 } })
            .limit(10)
            .toArray(),
        ),
      );
      results.push(
        await measure('update by _id', size, () => collection.updateOne({ _id: pick(ids) }, { $inc: { stock: 1 } })),
      );
    }
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    child?.kill('SIGTERM');
  }

  printTable(results);
  const byId = (size: number) => results.find((r) => r.operation === 'find by _id' && r.documents === size)!.meanMs;
  const ratio = byId(100_000) / byId(1_000);
  console.log(`\nfind by _id: time at 100,000 documents / time at 1,000 = ${ratio.toFixed(2)} (target ≤ 1.5)`);

  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(
    args.out,
    JSON.stringify({ date: new Date().toISOString(), seconds, concurrency, results, findByIdRatio: ratio }, null, 2),
  );
  console.log(`figures written to ${args.out}`);
}

interface BenchDoc {
  _id?: ObjectId;
  title: string;
  category: string;
  price: number;
  stock: number;
  description: string;
}

function makeDoc(n: number): BenchDoc {
  return {
    title: `Product ${n}`,
    category: `c${Math.floor(n) % 50}`,
    price: Math.floor(n) % 100,
    stock: 10,
    description: 'A plausible product description of a realistic length for a shop page.',
  };
}

async function fill(collection: Collection<BenchDoc>, size: number): Promise<ObjectId[]> {
  const ids: ObjectId[] = [];
  for (let start = 0; start < size; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, size - start) }, (_, i) => ({
      _id: new ObjectId(),
      ...makeDoc(start + i),
    }));
    await collection.insertMany(batch);
    for (const doc of batch) ids.push(doc._id);
  }
  return ids;
}

function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

async function measure(operation: string, documents: number, run: () => Promise<unknown>): Promise<Measurement> {
  const deadline = Date.now() + seconds * 1000;
  let count = 0;
  let totalMs = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const start = performance.now();
      await run();
      totalMs += performance.now() - start;
      count += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { operation, documents, opsPerSecond: count / elapsed, meanMs: totalMs / count };
}

function printTable(results: Measurement[]): void {
  const rows = results.map((r) => [
    r.operation.padEnd(16),
    r.documents.toLocaleString('en').padStart(8),
    Math.round(r.opsPerSecond).toLocaleString('en').padStart(10),
    r.meanMs.toFixed(2).padStart(9),
  ]);
  console.log(`${'operation'.padEnd(16)} ${'docs'.padStart(8)} ${'ops/s'.padStart(10)} ${'mean ms'.padStart(9)}`);
  for (const row of rows) console.log(row.join(' '));
}

/** Starts `npm run db` on a free port and waits for the line that gives its address. */
async function startEngineProcess(): Promise<{ uri: string; child: ChildProcess }> {
  const cli = path.join(__dirname, '..', 'packages', 'embedded-mongodb', 'src', 'cli.ts');
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const uri = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the engine did not start: ${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /mongodb:\/\/[^\s"']+/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`the engine exited with ${code}: ${output}`)));
  });
  child.stdout!.resume();
  return { uri, child };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
