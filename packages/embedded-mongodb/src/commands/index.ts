import type { Document } from 'bson';
import { CommandError, ErrorCodes } from '../errors';
import type { CommandContext, CommandHandler } from './context';
import { ddlCommands } from './ddl';
import { handshakeCommands } from './handshake';
import { readCommands } from './read';
import { writeCommands } from './write';

const handlers: Record<string, CommandHandler> = {
  ...handshakeCommands,
  ...readCommands,
  ...writeCommands,
  ...ddlCommands,
};

/**
 * Runs one command and always answers: a result, a MongoDB-shaped error for a failed or unknown
 * command, never an exception that would leave the client waiting.
 */
export function runCommand(command: Document, context: CommandContext): Document {
  const name = Object.keys(command)[0];
  const handler = name !== undefined && Object.hasOwn(handlers, name) ? handlers[name] : undefined;
  if (!handler) {
    return new CommandError(
      ErrorCodes.CommandNotFound,
      'CommandNotFound',
      `no such command: '${name ?? ''}'`,
    ).toReply();
  }
  try {
    return handler(command, context);
  } catch (error) {
    if (error instanceof CommandError) return error.toReply();
    if (error instanceof TypeError || error instanceof RangeError) {
      return new CommandError(ErrorCodes.BadValue, 'BadValue', error.message).toReply();
    }
    context.logger.error({ err: error, command: name }, 'command failed unexpectedly');
    return { ok: 0, errmsg: `internal error: ${(error as Error).message}`, code: 1, codeName: 'InternalError' };
  }
}
