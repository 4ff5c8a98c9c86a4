import { Long, calculateObjectSize, type Document } from 'bson';
import { MAX_BATCH_BYTES } from './limits';

/** Results not yet sent: what getMore hands out, batch by batch. */
interface OpenCursor {
  ns: string;
  docs: Document[];
  position: number;
  lastUsed: number;
}

/** MongoDB closes a cursor nobody asked for in 10 minutes; so do we, so abandoned ones don't pile up. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_FIRST_BATCH = 101;
/** getMore without a batchSize: large batches, few round trips. */
const DEFAULT_NEXT_BATCH = 4096;

export class Cursors {
  private readonly open = new Map<number, OpenCursor>();
  private nextId = 1;

  /** The `cursor` field of a find/aggregate/listX reply, keeping the rest for getMore. */
  firstBatch(ns: string, docs: Document[], batchSize: number | undefined, singleBatch = false): Document {
    const batch = takeBatch(docs, 0, batchSize && batchSize > 0 ? batchSize : DEFAULT_FIRST_BATCH);
    if (singleBatch || docs.length <= batch.length) return { id: Long.ZERO, ns, firstBatch: batch };
    const id = this.nextId++;
    this.open.set(id, { ns, docs, position: batch.length, lastUsed: Date.now() });
    return { id: Long.fromNumber(id), ns, firstBatch: batch };
  }

  nextBatch(id: number, batchSize: number | undefined): Document | undefined {
    const cursor = this.open.get(id);
    if (!cursor) return undefined;
    const batch = takeBatch(cursor.docs, cursor.position, batchSize && batchSize > 0 ? batchSize : DEFAULT_NEXT_BATCH);
    cursor.position += batch.length;
    cursor.lastUsed = Date.now();
    const exhausted = cursor.position >= cursor.docs.length;
    if (exhausted) this.open.delete(id);
    return { id: exhausted ? Long.ZERO : Long.fromNumber(id), ns: cursor.ns, nextBatch: batch };
  }

  kill(id: number): boolean {
    return this.open.delete(id);
  }

  closeIdle(now = Date.now()): void {
    for (const [id, cursor] of this.open) if (now - cursor.lastUsed > IDLE_TIMEOUT_MS) this.open.delete(id);
  }

  clear(): void {
    this.open.clear();
  }
}

/**
 * Up to `count` documents from `start`, cut as mongod cuts a batch: before the document that would
 * take it past 16 MiB, but never empty. A bigger answer is not refused, it takes more getMores;
 * a reply within bson's 17 MiB buffer is what keeps it encodable.
 */
function takeBatch(docs: Document[], start: number, count: number): Document[] {
  const end = Math.min(docs.length, start + count);
  let bytes = 0;
  let stop = start;
  while (stop < end) {
    bytes += calculateObjectSize(docs[stop]);
    if (bytes > MAX_BATCH_BYTES && stop > start) break;
    stop++;
  }
  return docs.slice(start, stop);
}
