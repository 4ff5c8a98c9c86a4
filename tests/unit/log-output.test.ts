import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LogOutput, createLogger } from '../../src/platform/logger';

/*
 * The logger's writer over a socket whose reader stalls, catches up, or goes away: writes never
 * block or throw, what waits is bounded, and a gap in the log is explained.
 * (tests/reliability/shutdown-output.test.ts does the same with a whole shop process.)
 */

const LINE = `${JSON.stringify({ level: 30, msg: 'x'.repeat(1000) })}\n`;
const MAX_PENDING = 64 * 1024;

let folder: string;
let server: net.Server;
/** The reader's side of the latest connection; paused until a test reads it. */
let reader: Promise<net.Socket>;

beforeEach(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'log-output-'));
  let accepted: (socket: net.Socket) => void = () => {};
  reader = new Promise((resolve) => (accepted = resolve));
  server = net.createServer((socket) => {
    socket.pause();
    accepted(socket);
  });
  await new Promise<void>((resolve) => server.listen(path.join(folder, 'log.sock'), resolve));
});

afterEach(async () => {
  (await reader).destroy();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(folder, { recursive: true, force: true });
});

async function connectedOutput(): Promise<{ output: LogOutput; writer: net.Socket }> {
  const writer = net.connect(path.join(folder, 'log.sock'));
  await new Promise((resolve) => writer.once('connect', resolve));
  return { output: new LogOutput(writer, MAX_PENDING), writer };
}

test('a reader that stalls: at most the bound waits, the rest is dropped, and nothing blocks', async () => {
  const { output, writer } = await connectedOutput();
  const started = Date.now();
  for (let n = 0; n < 5000; n++) output.write(LINE); // 5 MB
  expect(Date.now() - started).toBeLessThan(2000);
  expect(writer.writableLength).toBeLessThanOrEqual(MAX_PENDING);
  expect(output.dropped).toBeGreaterThan(4000);
  // A flush waits for the reader no longer than it is told to.
  const flushing = Date.now();
  await output.flush(200);
  expect(Date.now() - flushing).toBeLessThan(1000);
  writer.destroy();
});

test('a reader that catches up is told how many lines were dropped, before the next line', async () => {
  const { output, writer } = await connectedOutput();
  for (let n = 0; n < 2000; n++) output.write(LINE);
  const dropped = output.dropped;
  expect(dropped).toBeGreaterThan(0);

  const socket = await reader;
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.resume();
  await output.flush(5000);
  createLogger('info', output).info('after the gap');
  while (!received.includes('after the gap')) await new Promise((resolve) => setTimeout(resolve, 10));

  const lines = received.trim().split('\n');
  expect(lines.at(-2)).toContain(`"msg":"${dropped} log lines dropped: the output was not read fast enough"`);
  expect(JSON.parse(lines.at(-2)!)).toMatchObject({ level: 40 });
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({ level: 30, msg: 'after the gap' });
  writer.destroy();
});

test('a reader that has gone (EPIPE): every further line is dropped, never thrown', async () => {
  const { output, writer } = await connectedOutput();
  (await reader).destroy();
  for (let n = 0; n < 200 && !writer.destroyed; n++) {
    output.write(LINE);
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(writer.destroyed).toBe(true);
  const before = output.dropped;
  expect(() => output.write(LINE)).not.toThrow();
  expect(output.dropped).toBe(before + 1);
  await output.flush(5000); // at once: nothing can be written any more
});
