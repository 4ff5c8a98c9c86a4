import net from 'node:net';
import { deserialize, serialize, type Document } from 'bson';
import { OP_MSG, OP_QUERY, OP_REPLY } from '../src/wire';

// Messages built byte by byte, and a socket that reads whole replies: what the drivers send, and
// what they must never send but a broken or hostile client might.

export function header(length: number, requestId: number, opCode: number): Buffer {
  const buffer = Buffer.alloc(16);
  buffer.writeInt32LE(length, 0);
  buffer.writeInt32LE(requestId, 4);
  buffer.writeInt32LE(0, 8);
  buffer.writeInt32LE(opCode, 12);
  return buffer;
}

/** An OP_MSG with a body section made of `body`'s bytes, and optionally a document sequence. */
export function opMsg(requestId: number, body: Document | Buffer, sequence?: { id: string; docs: Document[] }): Buffer {
  const sections: Buffer[] = [Buffer.from([0]), Buffer.isBuffer(body) ? body : Buffer.from(serialize(body))];
  if (sequence) {
    const docs = Buffer.concat(sequence.docs.map((doc) => serialize(doc)));
    const name = Buffer.from(`${sequence.id}\0`);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docs.length);
    sections.push(Buffer.from([1]), size, name, docs);
  }
  const payload = Buffer.concat([Buffer.alloc(4), ...sections]);
  return Buffer.concat([header(16 + payload.length, requestId, OP_MSG), payload]);
}

export function opQuery(requestId: number, namespace: string, query: Document): Buffer {
  const payload = Buffer.concat([Buffer.alloc(4), Buffer.from(`${namespace}\0`), Buffer.alloc(8), serialize(query)]);
  payload.writeInt32LE(-1, 4 + namespace.length + 1 + 4); // numberToReturn
  return Buffer.concat([header(16 + payload.length, requestId, OP_QUERY), payload]);
}

export interface RawClient {
  socket: net.Socket;
  /** Writes a message and resolves with the next reply: [opCode, document]. */
  send(message: Buffer): Promise<[number, Document]>;
  /** Resolves when the engine closes the connection. */
  closed: Promise<void>;
}

export async function connect(server: { host: string; port: number }): Promise<RawClient> {
  const socket = net.connect({ host: server.host, port: server.port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {}); // a reset by the engine is what some tests wait for
  let pending = Buffer.alloc(0);
  const waiting: Array<(reply: [number, Document]) => void> = [];
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
      const message = pending.subarray(0, pending.readInt32LE(0));
      pending = pending.subarray(message.length);
      const opCode = message.readInt32LE(12);
      const bodyStart = opCode === OP_REPLY ? 36 : 21;
      waiting.shift()?.([opCode, deserialize(message.subarray(bodyStart))]);
    }
  });
  return {
    socket,
    closed,
    send: (message) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        socket.write(message);
      }),
  };
}
