import type { Socket } from 'node:net';
import type { Document } from 'bson';
import { CommandError } from './errors';
import type { Logger } from './logger';
import { BSON_OBJECT_TOO_LARGE, type ConnectionLimits } from './limits';
import { adoptDecimals } from './values';
import {
  HEADER_SIZE,
  OP_MSG,
  OP_QUERY,
  ProtocolError,
  encodeOpMsgReply,
  encodeOpReply,
  parseMessage,
  readHeader,
  type MessageHeader,
} from './wire';

/** What the engine knows of a connection besides its bytes. */
export interface ConnectionInfo {
  readonly id: number;
  /** The application name from the client's handshake, if it gave one. */
  appName?: string;
}

/**
 * A message answered other than at once (fail points): close the connection without a reply, or
 * hold this connection (no reply, nothing further read) for a while and then carry on with `then`.
 */
export class ConnectionAction {
  private constructor(
    readonly close: boolean,
    readonly delayMs: number,
    readonly then: () => Document | ConnectionAction,
  ) {}

  static close(): ConnectionAction {
    return new ConnectionAction(true, 0, () => ({ ok: 1 }));
  }

  static delay(ms: number, then: () => Document | ConnectionAction): ConnectionAction {
    return new ConnectionAction(false, ms, then);
  }
}

export type Dispatch = (command: Document, connection: ConnectionInfo) => Document | ConnectionAction;

/** Bytes held for unfinished messages, shared by every connection of one engine. */
export interface BufferBudget {
  used: number;
  readonly limits: ConnectionLimits;
}

const BSON_DECIMAL128_TYPE = 0x13;

/**
 * One client connection: cuts the byte stream into messages, answers each in order.
 *
 * Nothing a client sends may throw out of here: an exception in a socket's 'data' handler ends
 * the process, and under `npm run dev` that process is the shop. Whatever goes wrong with one
 * message is answered with a MongoDB error; what leaves no way to answer (a length that can't be
 * trusted, an opcode without replies, a message that would pass the buffer limits) closes this
 * connection only. Both are logged.
 */
export function serveConnection(
  socket: Socket,
  connectionId: number,
  dispatch: Dispatch,
  logger: Logger,
  budget: BufferBudget,
): void {
  let chunks: Buffer[] = [];
  let buffered = 0;
  const info: ConnectionInfo = { id: connectionId };
  /** Set while a fail point holds this connection: messages wait, in order, until it passes. */
  let held: NodeJS.Timeout | undefined;
  socket.setNoDelay(true);

  const close = (fields: object, message: string): void => {
    logger.warn({ connectionId, ...fields }, message);
    socket.destroy();
  };

  // Bytes held on behalf of this connection, counted in the shared budget until handed back.
  const hold = (delta: number): void => {
    buffered += delta;
    budget.used += delta;
  };

  socket.on('data', (chunk: Buffer) => {
    try {
      receive(chunk);
    } catch (error) {
      logger.error({ connectionId, err: error }, 'closing a connection after an unexpected failure');
      socket.destroy();
    }
  });

  socket.on('error', (error) => logger.debug({ connectionId, err: error }, 'connection error'));

  // A closed socket keeps no bytes: its listeners (and this closure) may live on for a while.
  socket.once('close', () => {
    clearTimeout(held);
    held = undefined;
    hold(-buffered);
    chunks = [];
  });

  function receive(chunk: Buffer): void {
    if (socket.destroyed) return;
    if (budget.used + chunk.length > budget.limits.maxBufferedBytes) {
      close({ bufferedBytes: budget.used }, 'closing a connection: the engine holds too many unfinished messages');
      return;
    }
    chunks.push(chunk);
    hold(chunk.length);
    drain();
  }

  /** Answers every whole message buffered, in order, unless a fail point holds the connection. */
  function drain(): void {
    while (buffered >= 4 && held === undefined) {
      const head = chunks[0].length >= 4 ? chunks[0] : Buffer.concat(chunks);
      const length = head.readInt32LE(0);
      if (length < HEADER_SIZE + 1 || length > budget.limits.maxMessageBytes) {
        close({ length }, 'closing a connection that sent a message with an invalid length');
        return;
      }
      if (buffered < length) return;
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, buffered);
      const message = all.subarray(0, length);
      const rest = all.subarray(length);
      chunks = rest.length > 0 ? [rest] : [];
      hold(-length);
      handle(message);
      if (socket.destroyed) return;
    }
  }

  function handle(message: Buffer): void {
    const header = readHeader(message);
    if (header.opCode !== OP_MSG && header.opCode !== OP_QUERY) {
      close({ opCode: header.opCode }, 'closing a connection that sent an unsupported opCode');
      return;
    }
    const legacy = header.opCode === OP_QUERY;
    let noReply = false;
    let reply: Document | ConnectionAction;
    try {
      const command = parseMessage(message);
      noReply = command.noReply;
      if (message.includes(BSON_DECIMAL128_TYPE, HEADER_SIZE)) adoptDecimals(command.body);
      reply = dispatch(command.body, info);
    } catch (error) {
      reply = errorReply(error);
    }
    respond(header, legacy, noReply, reply);
  }

  function respond(header: MessageHeader, legacy: boolean, noReply: boolean, reply: Document | ConnectionAction): void {
    if (!(reply instanceof ConnectionAction)) {
      if (!noReply) socket.write(encode(header, legacy, reply));
      return;
    }
    if (reply.close) {
      logger.info({ connectionId }, 'closing a connection: a fail point asks for it');
      socket.destroy();
      return;
    }
    const then = reply.then;
    socket.pause();
    held = setTimeout(() => {
      held = undefined;
      if (socket.destroyed) return;
      let next: Document | ConnectionAction;
      try {
        next = then();
      } catch (error) {
        next = errorReply(error);
      }
      respond(header, legacy, noReply, next);
      if (held !== undefined || socket.destroyed) return;
      socket.resume();
      try {
        drain();
      } catch (error) {
        logger.error({ connectionId, err: error }, 'closing a connection after an unexpected failure');
        socket.destroy();
      }
    }, reply.delayMs);
  }

  function errorReply(error: unknown): Document {
    if (error instanceof CommandError) {
      logger.warn({ connectionId, err: error.message }, 'refused a message');
      return error.toReply();
    }
    if (error instanceof ProtocolError) {
      logger.warn({ connectionId, err: error.message }, 'rejected a malformed message');
      return { ok: 0, errmsg: error.message, code: 22, codeName: 'InvalidBSON' };
    }
    logger.error({ connectionId, err: error }, 'a message failed unexpectedly');
    return { ok: 0, errmsg: `internal error: ${String(error)}`, code: 1, codeName: 'InternalError' };
  }

  /** A reply bson cannot encode (past its 17 MiB buffer) becomes MongoDB's error for it. */
  function encode(header: MessageHeader, legacy: boolean, reply: Document): Buffer {
    const encoder = legacy ? encodeOpReply : encodeOpMsgReply;
    try {
      return encoder(header.requestId, reply);
    } catch (error) {
      logger.warn({ connectionId, err: error }, 'a reply could not be encoded');
      return encoder(header.requestId, {
        ok: 0,
        errmsg: `the reply could not be encoded (larger than 16 MiB?): ${String(error)}`,
        code: BSON_OBJECT_TOO_LARGE,
        codeName: 'BSONObjectTooLarge',
      });
    }
  }
}
