import fs from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Bytes of log lines that may wait for a slow reader of the output; past it, new lines are dropped. */
const MAX_PENDING_LOG_BYTES = 4 * 1024 * 1024;

/**
 * The outputs holding a turn's lines: a process that exits before the turn ends (`process.exit`
 * right after a last line) writes them first, as it would have written them unbatched.
 */
const corked = new Set<net.Socket>();
process.on('exit', () => {
  for (const socket of corked) socket.uncork();
});

/**
 * Where the process's lines go: standard output, written so that nothing the reader does (stall,
 * disappear) can block the process or keep it from exiting.
 *
 * A pipe or socket (a log shipper, `npm start | tee`, a parent process) is written through a
 * non-blocking socket of our own, from the event loop: a reader that stops reading leaves lines
 * waiting in memory, up to a bound, then new lines are dropped (and counted); a reader that is
 * gone (EPIPE) drops every further line. Neither pino's synchronous destination (a blocking write,
 * or a sleep-and-retry loop on EAGAIN, on the main thread) nor its asynchronous one (`fs.write` on
 * the thread pool: a thread blocked in write(2) keeps `process.exit` from ever returning, as it
 * waits for the pool's threads) survives a full pipe: tests/reliability/shutdown-output.test.ts.
 * A file or a terminal is written synchronously (a line that cannot be written now is dropped).
 */
export class LogOutput {
  /** Lines that were not written: the reader was too slow, or gone. */
  dropped = 0;
  private reportedDrops = 0;
  private readonly socket?: net.Socket;
  private broken = false;
  private batching = false;

  private readonly fd: number = -1;

  /** `output`: a file descriptor (standard output is 1), or a connected socket. */
  constructor(
    output: number | net.Socket,
    private readonly maxPendingBytes = MAX_PENDING_LOG_BYTES,
  ) {
    if (typeof output === 'number') {
      this.fd = output;
      let stat: fs.Stats | undefined;
      try {
        stat = fs.fstatSync(output);
      } catch {
        this.broken = true; // no output at all: every line is dropped
      }
      if (stat && (stat.isFIFO() || stat.isSocket())) {
        this.socket = new net.Socket({ fd: output, readable: false, writable: true });
      }
    } else this.socket = output;
    // EPIPE and the like: the reader is gone, and so is every further line.
    this.socket?.on('error', () => {
      this.broken = true;
      this.socket?.destroy();
    });
  }

  write(line: string): void {
    if (this.broken) {
      this.dropped++;
      return;
    }
    if (!this.socket) {
      try {
        fs.writeSync(this.fd, line);
      } catch {
        this.dropped++;
      }
      return;
    }
    if (this.socket.destroyed || this.socket.writableLength + line.length > this.maxPendingBytes) {
      this.dropped++;
      return;
    }
    if (this.dropped > this.reportedDrops) {
      // Said once the reader has caught up, so that a gap in the log is explained.
      this.socket.write(
        `${JSON.stringify({ level: 40, time: new Date().toISOString(), msg: `${this.dropped - this.reportedDrops} log lines dropped: the output was not read fast enough` })}\n`,
      );
      this.reportedDrops = this.dropped;
    }
    this.batch(this.socket);
    this.socket.write(line);
  }

  /**
   * The lines of one turn of the event loop go out in one write: under load, many requests end in
   * the same turn, and a write per line was a system call per request (docs/performance.md).
   */
  private batch(socket: net.Socket): void {
    if (this.batching) return;
    this.batching = true;
    socket.cork();
    corked.add(socket);
    setImmediate(() => {
      this.batching = false;
      corked.delete(socket);
      socket.uncork();
    });
  }

  /** Resolves once what is waiting has been written, or after `timeoutMs` whatever the reader does. */
  flush(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    if (!socket || this.broken || socket.destroyed || socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      socket.once('drain', done);
      socket.once('close', done);
    });
  }
}

let standardOutput: LogOutput | undefined;

/** The one writer of standard output in this process (two handles on one descriptor would fight). */
export function standardOutputWriter(): LogOutput {
  standardOutput ??= new LogOutput(1);
  return standardOutput;
}

/** One structured logger for the whole process; children add context (component, request id). */
export function createLogger(level: string, output: DestinationStream = standardOutputWriter()): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, output);
}

/**
 * The process's logger: JSON lines, except for a person reading a development terminal, who gets
 * them printed by pino-pretty (time, level, message, then the fields). pino-pretty is a development
 * dependency: it is loaded only then, and when a production-like install (`npm ci --omit=dev`)
 * lacks it, the lines stay JSON. Pretty lines go through the same writer as JSON ones.
 */
export async function createProcessLogger(
  level: string,
  options: { isProduction: boolean; output?: LogOutput; isTerminal?: boolean },
): Promise<Logger> {
  const output = options.output ?? standardOutputWriter();
  // isatty(1), not process.stdout: that would open a second handle on the descriptor.
  const isTerminal = options.isTerminal ?? tty.isatty(1);
  if (!options.isProduction && isTerminal) {
    const prettify = await prettifier();
    if (prettify) return createLogger(level, { write: (line: string) => output.write(prettify(line)) });
  }
  return createLogger(level, output);
}

/** pino-pretty's line formatter, or undefined when it is not installed. */
async function prettifier(): Promise<((line: string) => string) | undefined> {
  try {
    const { prettyFactory } = await import('pino-pretty');
    return prettyFactory({ translateTime: 'SYS:HH:MM:ss.l' });
  } catch {
    return undefined;
  }
}

/** A plain line (not JSON) on the logger's output, for people reading a development terminal. */
export function printLine(text: string, output: LogOutput = standardOutputWriter()): void {
  output.write(`${text}\n`);
}

/** Writes out what is waiting, for at most `timeoutMs`: a stalled reader cannot hold an exit. */
export function flushOutput(timeoutMs: number, output: LogOutput = standardOutputWriter()): Promise<void> {
  return output.flush(timeoutMs);
}

/** A logger that drops everything: for tests and library code given no logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
