import type { Socket } from 'node:net';
import type { Document } from 'bson';
import type { Logger } from './logger';
import { adoptDecimals } from './values';
import {
  HEADER_SIZE,
  MAX_MESSAGE_SIZE,
  ProtocolError,
  encodeOpMsgReply,
  encodeOpReply,
  parseMessage,
  readHeader,
} from './wire';

export type Dispatch = (command: Document, connectionId: number) => Document;

const BSON_DECIMAL128_TYPE = 0x13;

/**
 * One client connection: cuts the byte stream into messages, answers each in order.
 * A message whose length can't be trusted ends this connection only (there is no way to find the
 * next message boundary); a well-framed message with bad contents gets an error reply.
 */
export function serveConnection(socket: Socket, connectionId: number, dispatch: Dispatch, logger: Logger): void {
  const chunks: Buffer[] = [];
  let buffered = 0;
  socket.setNoDelay(true);

  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    while (buffered >= 4) {
      const head = chunks[0].length >= 4 ? chunks[0] : Buffer.concat(chunks);
      const length = head.readInt32LE(0);
      if (length < HEADER_SIZE + 1 || length > MAX_MESSAGE_SIZE) {
        logger.warn({ connectionId, length }, 'closing a connection that sent a message with an invalid length');
        socket.destroy();
        return;
      }
      if (buffered < length) return;
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, buffered);
      const message = all.subarray(0, length);
      const rest = all.subarray(length);
      chunks.length = 0;
      buffered = rest.length;
      if (rest.length > 0) chunks.push(rest);
      handle(message);
      if (socket.destroyed) return;
    }
  });

  socket.on('error', (error) => logger.debug({ connectionId, err: error }, 'connection error'));

  function handle(message: Buffer): void {
    const header = readHeader(message);
    let reply: Document;
    let legacy = header.opCode !== 2013;
    let noReply = false;
    try {
      const command = parseMessage(message);
      legacy = command.legacy;
      noReply = command.noReply;
      if (message.includes(BSON_DECIMAL128_TYPE, HEADER_SIZE)) adoptDecimals(command.body);
      reply = dispatch(command.body, connectionId);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      logger.warn({ connectionId, err: error.message }, 'rejected a malformed message');
      if (header.opCode !== 2013 && header.opCode !== 2004) {
        socket.destroy();
        return;
      }
      reply = { ok: 0, errmsg: error.message, code: 22, codeName: 'InvalidBSON' };
    }
    if (noReply) return;
    socket.write(legacy ? encodeOpReply(header.requestId, reply) : encodeOpMsgReply(header.requestId, reply));
  }
}
