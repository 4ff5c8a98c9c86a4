import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogOutput, createProcessLogger } from '../../src/platform/logger';

/*
 * The process's logger (src/server.ts): JSON lines for machines, everywhere but a development
 * terminal, where pino-pretty prints them for a person.
 */

let folder: string;

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'process-logger-'));
});

afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

/** What a logger made with these options writes for one line, through a LogOutput on a file. */
async function linesOf(options: { isProduction: boolean; isTerminal: boolean }): Promise<string[]> {
  const file = path.join(folder, `log-${options.isProduction}-${options.isTerminal}.txt`);
  const fd = fs.openSync(file, 'w');
  try {
    const logger = await createProcessLogger('info', { ...options, output: new LogOutput(fd) });
    logger.info({ orderId: 'A1B2' }, 'order placed');
  } finally {
    fs.closeSync(fd);
  }
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n');
}

test.each([
  ['production, on a terminal', { isProduction: true, isTerminal: true }],
  ['production, into a pipe or a file', { isProduction: true, isTerminal: false }],
  ['development, into a pipe or a file', { isProduction: false, isTerminal: false }],
])('%s: one JSON object a line', async (_name, options) => {
  const lines = await linesOf(options);
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0])).toMatchObject({ level: 30, msg: 'order placed', orderId: 'A1B2' });
});

test('development, on a terminal: pino-pretty, lines a person reads', async () => {
  const lines = await linesOf({ isProduction: false, isTerminal: true });
  expect(() => JSON.parse(lines[0])).toThrow();
  expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*: .*order placed/);
  expect(lines.join('\n')).toMatch(/orderId: .*A1B2/);
});
