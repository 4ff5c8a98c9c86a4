import http from 'node:http';
import { startShopProcess, type ShopProcess } from '../../tools/processes';
import { dropDatabase, testServerUri, uniqueDbName } from '../helpers/database';
import { TEST_SECRET } from '../helpers/shop';

/*
 * Whatever its output does, a stopped shop ends: its standard output is a pipe that nobody reads
 * (a stalled log shipper), or one whose reader has gone (EPIPE). Before the logger wrote through
 * a non-blocking socket of its own, the first case hung the process for good: pino's synchronous
 * destination blocked (or slept and retried) on the main thread, so neither requests, nor the
 * exit timer, nor a further SIGTERM were ever served; its asynchronous one blocked a thread-pool
 * thread in write(2), and `process.exit` then waited for that thread forever.
 */

jest.setTimeout(120_000);

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Past the shutdown timeout: time for the signal to arrive and the process to be reaped on a busy machine. */
const MARGIN_MS = 3000;
/** Each request's log line carries its URL: 8 kB a line, so a few hundred fill any pipe. */
const LONG_PATH = `/no-such-page?${'x'.repeat(8000)}`;

let dbName: string;
let shop: ShopProcess | undefined;

beforeEach(() => {
  dbName = uniqueDbName('shutdown_output');
});

afterEach(async () => {
  await shop?.stop('SIGKILL');
  shop = undefined;
  await dropDatabase(dbName);
});

function databaseUri(): string {
  const url = new URL(testServerUri());
  url.pathname = `/${dbName}`;
  return url.toString();
}

/** Status of one GET, or 'no answer' within `timeoutMs`. */
function get(url: string, timeoutMs = 5000): Promise<number | 'no answer'> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', () => resolve('no answer'));
    request.setTimeout(timeoutMs, () => {
      request.destroy();
      resolve('no answer');
    });
  });
}

/**
 * Requests whose log lines add up to 1.6 MB by default: several times what a pipe holds (64 kB to
 * a few hundred kB). What waits beyond that, and the lines dropped past 4 MB, are the subject of
 * tests/unit/log-output.test.ts.
 */
async function fillTheOutput(baseUrl: string, requests = 200): Promise<void> {
  for (let batch = 0; batch < requests / 10; batch++) {
    const statuses = await Promise.all(Array.from({ length: 10 }, () => get(`${baseUrl}${LONG_PATH}`)));
    // The shop keeps serving while nobody reads its log: lines wait, then are dropped.
    expect(statuses).toEqual(Array(10).fill(404));
  }
}

async function startShop(nodeEnv: 'test' | 'production'): Promise<ShopProcess> {
  shop = await startShopProcess(
    {
      NODE_ENV: nodeEnv,
      SESSION_SECRET: TEST_SECRET,
      MONGODB_URI: databaseUri(),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    },
    { unreadStdout: true },
  );
  return shop;
}

/** Milliseconds from SIGTERM to the process's end, and how it ended ('still running' when it hangs). */
async function stopTimed(process: ShopProcess): Promise<{ ms: number; code: number | null; signal: string | null }> {
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    process.child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let timer: NodeJS.Timeout | undefined;
  // Long past the bound: a hung process is reported, then killed by afterEach.
  const hung = new Promise<{ code: null; signal: string }>((resolve) => {
    timer = setTimeout(() => resolve({ code: null, signal: 'still running' }), 3 * (SHUTDOWN_TIMEOUT_MS + MARGIN_MS));
  });
  const started = Date.now();
  process.child.kill('SIGTERM');
  const ended = await Promise.race([exited, hung]);
  clearTimeout(timer);
  return { ms: Date.now() - started, ...ended };
}

test('output to a pipe nobody reads: the shop keeps serving, and SIGTERM ends it in time', async () => {
  const running = await startShop('production');
  await fillTheOutput(running.url);
  expect(await get(`${running.url}/healthz`)).toBe(200);

  const stopped = await stopTimed(running);
  expect(stopped).toEqual(expect.objectContaining({ code: 0, signal: null }));
  expect(stopped.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
});

test('output to a pipe whose reader has gone (EPIPE): the shop keeps serving, and SIGTERM ends it in time', async () => {
  const running = await startShop('production');
  await fillTheOutput(running.url, 100);
  // The log shipper dies: the pipe's read end closes, and every write now fails with EPIPE.
  running.child.stdout!.destroy();
  await fillTheOutput(running.url, 50);
  expect(await get(`${running.url}/healthz`)).toBe(200);

  const stopped = await stopTimed(running);
  expect(stopped).toEqual(expect.objectContaining({ code: 0, signal: null }));
  expect(stopped.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
});
