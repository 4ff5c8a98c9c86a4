import { deserialize, serialize, type Document } from 'bson';
import { NEEDS_EXACT_DECODING, scanDocument } from './bson-scan';
import { normaliseCommand } from './numbers';

/**
 * MongoDB wire protocol framing: the 16-byte header, OP_MSG (both section kinds) for every
 * modern command, and OP_QUERY/OP_REPLY for the legacy handshake that older drivers still send.
 * https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 */
export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const HEADER_SIZE = 16;

const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A command as the dispatcher sees it, whichever opcode carried it. */
export interface IncomingCommand {
  header: MessageHeader;
  /** The command document; document-sequence sections are merged in as arrays (e.g. `documents`). */
  body: Document;
  /** OP_MSG moreToCome: the client wants no reply (unacknowledged write). */
  noReply: boolean;
  legacy: boolean;
}

export function readHeader(buffer: Buffer, offset = 0): MessageHeader {
  return {
    messageLength: buffer.readInt32LE(offset),
    requestId: buffer.readInt32LE(offset + 4),
    responseTo: buffer.readInt32LE(offset + 8),
    opCode: buffer.readInt32LE(offset + 12),
  };
}

/** Parses one complete message. Throws ProtocolError for anything malformed. */
export function parseMessage(message: Buffer): IncomingCommand {
  const header = readHeader(message);
  switch (header.opCode) {
    case OP_MSG:
      return parseOpMsg(header, message);
    case OP_QUERY:
      return parseOpQuery(header, message);
    case OP_COMPRESSED:
      throw new ProtocolError('OP_COMPRESSED is not supported: this server advertises no compressors');
    default:
      throw new ProtocolError(`unsupported opCode ${header.opCode}`);
  }
}

function parseOpMsg(header: MessageHeader, message: Buffer): IncomingCommand {
  if (message.length < HEADER_SIZE + 4) throw new ProtocolError('OP_MSG shorter than its flags');
  const flags = message.readUInt32LE(HEADER_SIZE);
  const end = flags & CHECKSUM_PRESENT ? message.length - 4 : message.length;
  let offset = HEADER_SIZE + 4;
  let body: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  const raw = new Set<Document>();

  while (offset < end) {
    const kind = message[offset];
    offset += 1;
    if (kind === 0) {
      const size = documentSize(message, offset, end);
      body = decode(message, offset, size, raw);
      offset += size;
    } else if (kind === 1) {
      const size = sectionSize(message, offset, end);
      const sectionEnd = offset + size;
      const nameEnd = message.indexOf(0, offset + 4);
      if (nameEnd < 0 || nameEnd >= sectionEnd) throw new ProtocolError('document sequence without identifier');
      const identifier = message.toString('utf8', offset + 4, nameEnd);
      const documents: Document[] = [];
      let cursor = nameEnd + 1;
      while (cursor < sectionEnd) {
        const docSize = documentSize(message, cursor, sectionEnd);
        documents.push(decode(message, cursor, docSize, raw));
        cursor += docSize;
      }
      sequences.push([identifier, documents]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const [identifier, documents] of sequences) body[identifier] = documents;
  normaliseCommand(body, raw);
  return { header, body, noReply: (flags & MORE_TO_COME) !== 0, legacy: false };
}

function parseOpQuery(header: MessageHeader, message: Buffer): IncomingCommand {
  if (message.length < HEADER_SIZE + 4) throw new ProtocolError('OP_QUERY shorter than its flags');
  let offset = HEADER_SIZE + 4; // flags
  const nameEnd = message.indexOf(0, offset);
  if (nameEnd < 0) throw new ProtocolError('OP_QUERY without a collection name');
  const namespace = message.toString('utf8', offset, nameEnd);
  offset = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  const size = documentSize(message, offset, message.length);
  const raw = new Set<Document>();
  let query = decode(message, offset, size, raw);
  // Legacy drivers may wrap the command: { $query: { isMaster: 1 }, $readPreference: ... }
  if (query.$query && typeof query.$query === 'object') query = query.$query as Document;
  if (raw.size > 0) normaliseCommand(query, new Set([query]));
  if (!namespace.endsWith('.$cmd')) throw new ProtocolError(`OP_QUERY on ${namespace}: only commands are supported`);
  query.$db = namespace.slice(0, -'.$cmd'.length);
  return { header, body: query, noReply: false, legacy: true };
}

function documentSize(buffer: Buffer, offset: number, end: number): number {
  if (offset + 5 > end) throw new ProtocolError('truncated BSON document');
  const size = buffer.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolError(`BSON document length ${size} overruns the message`);
  return size;
}

function sectionSize(buffer: Buffer, offset: number, end: number): number {
  if (offset + 4 > end) throw new ProtocolError('truncated document sequence');
  const size = buffer.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolError(`document sequence length ${size} overruns the message`);
  return size;
}

const PROMOTING_OPTIONS = { validation: { utf8: true } } as const;
const EXACT_OPTIONS = { validation: { utf8: true }, promoteValues: false } as const;

/**
 * Throws CommandError for a document too deep or with an unsafe field name, ProtocolError for bad BSON.
 * A document with an int64 or a double like 5.0 is decoded without promotion, so that those keep their
 * types, and added to `raw`: normaliseCommand then decides which of its parts stay exact.
 */
function decode(buffer: Buffer, offset: number, size: number, raw: Set<Document>): Document {
  const exact = (scanDocument(buffer, offset, size) & NEEDS_EXACT_DECODING) !== 0;
  try {
    const doc = deserialize(buffer.subarray(offset, offset + size), exact ? EXACT_OPTIONS : PROMOTING_OPTIONS);
    if (exact) raw.add(doc);
    return doc;
  } catch (error) {
    throw new ProtocolError(`invalid BSON: ${(error as Error).message}`);
  }
}

let nextRequestId = 1;

function replyHeader(buffer: Buffer, totalLength: number, responseTo: number, opCode: number): void {
  buffer.writeInt32LE(totalLength, 0);
  buffer.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
}

/** An OP_MSG reply with one body section. */
export function encodeOpMsgReply(responseTo: number, reply: Document): Buffer {
  const body = serialize(reply);
  const head = Buffer.alloc(HEADER_SIZE + 5); // + flagBits (0) and the section kind (0)
  replyHeader(head, head.length + body.length, responseTo, OP_MSG);
  return Buffer.concat([head, body]);
}

/** An OP_REPLY carrying one document: the answer to a legacy OP_QUERY command. */
export function encodeOpReply(responseTo: number, reply: Document): Buffer {
  const body = serialize(reply);
  // + responseFlags (0), cursorID (0), startingFrom (0), numberReturned (1)
  const head = Buffer.alloc(HEADER_SIZE + 20);
  replyHeader(head, head.length + body.length, responseTo, OP_REPLY);
  head.writeInt32LE(1, 32);
  return Buffer.concat([head, body]);
}
