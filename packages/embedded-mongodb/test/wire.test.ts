import { serialize } from 'bson';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src';
import { OP_MSG, OP_REPLY } from '../src/wire';
import { connect as connectTo, header, opMsg, opQuery } from './raw-client';

// The engine's protocol handling seen from a raw socket: what the drivers send, and what they must
// never send but a broken client might.

let server: EmbeddedMongo;

beforeAll(async () => {
  server = await startEmbeddedMongo({ port: 0 });
});

afterAll(async () => {
  await server.stop();
});

const connect = () => connectTo(server);

test('answers the legacy OP_QUERY handshake with OP_REPLY, advertising no compression', async () => {
  const client = await connect();
  const [opCode, reply] = await client.send(opQuery(1, 'admin.$cmd', { isMaster: 1, compression: ['zlib', 'snappy'] }));
  expect(opCode).toBe(OP_REPLY);
  expect(reply).toMatchObject({ ismaster: true, ok: 1 });
  expect(reply.compression).toBeUndefined();
  expect(reply.maxWireVersion).toBeGreaterThanOrEqual(8);
  client.socket.destroy();
});

test('reads documents sent as an OP_MSG document sequence', async () => {
  const client = await connect();
  const [, inserted] = await client.send(
    opMsg(2, { insert: 'seq', $db: 'wire' }, { id: 'documents', docs: [{ _id: 1 }, { _id: 2 }, { _id: 3 }] }),
  );
  expect(inserted).toMatchObject({ n: 3, ok: 1 });
  const [, found] = await client.send(opMsg(3, { count: 'seq', $db: 'wire' }));
  expect(found).toMatchObject({ n: 3, ok: 1 });
  client.socket.destroy();
});

test('answers an unknown command with CommandNotFound at once', async () => {
  const client = await connect();
  const [, reply] = await client.send(opMsg(4, { frobnicate: 1, $db: 'wire' }));
  expect(reply).toMatchObject({ ok: 0, code: 59, codeName: 'CommandNotFound' });
  client.socket.destroy();
});

test('answers invalid BSON inside a well-framed message with an error and keeps the connection', async () => {
  const client = await connect();
  const body = Buffer.from(serialize({ ping: 1, $db: 'admin' }));
  body.writeInt32LE(body.length + 100, 0); // the document claims more bytes than it has
  const payload = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), body]);
  const [, reply] = await client.send(Buffer.concat([header(16 + payload.length, 5, OP_MSG), payload]));
  expect(reply).toMatchObject({ ok: 0 });
  const [, ping] = await client.send(opMsg(6, { ping: 1, $db: 'admin' }));
  expect(ping).toMatchObject({ ok: 1 });
  client.socket.destroy();
});

test('closes a connection whose message length is impossible, and only that one', async () => {
  const healthy = await connect();
  const broken = await connect();
  broken.socket.write(header(3, 7, OP_MSG));
  await broken.closed;
  const [, ping] = await healthy.send(opMsg(8, { ping: 1, $db: 'admin' }));
  expect(ping).toMatchObject({ ok: 1 });
  healthy.socket.destroy();
});

test('sends no reply when the client sets moreToCome (unacknowledged write)', async () => {
  const client = await connect();
  const message = opMsg(9, { insert: 'fire', documents: [{ _id: 'x' }], $db: 'wire' });
  message.writeUInt32LE(2, 16); // flagBits: moreToCome
  client.socket.write(message);
  const [, count] = await client.send(opMsg(10, { count: 'fire', $db: 'wire' }));
  expect(count).toMatchObject({ n: 1 });
  client.socket.destroy();
});
