import type { Document } from 'bson';
import { ConnectionAction, type ConnectionInfo } from '../connection';
import { CommandError, ErrorCodes } from '../errors';
import { appNameOf } from '../fail-points';
import type { CommandContext, CommandHandler } from './context';
import { ddlCommands } from './ddl';
import { handshakeCommands } from './handshake';
import { readCommands } from './read';
import { sessionCommands } from './sessions';
import { testCommands } from './test-commands';
import { writeCommands } from './write';

const handlers: Record<string, CommandHandler> = {
  ...handshakeCommands,
  ...sessionCommands,
  ...readCommands,
  ...writeCommands,
  ...ddlCommands,
};

const HANDSHAKES = new Set(['hello', 'isMaster', 'ismaster']);

/**
 * Runs one command and always answers: a result, a MongoDB-shaped error for a failed or unknown
 * command, never an exception that would leave the client waiting. With test commands on, the
 * `failCommand` fail point is checked first, and may answer instead, or close or hold the
 * connection (a ConnectionAction).
 */
export function dispatchCommand(
  command: Document,
  context: CommandContext,
  connection: ConnectionInfo,
): Document | ConnectionAction {
  const name = Object.keys(command)[0];
  const handler = name === undefined ? undefined : handlerFor(name, context);
  if (name === undefined || !handler) {
    return new CommandError(
      ErrorCodes.CommandNotFound,
      'CommandNotFound',
      `no such command: '${name ?? ''}'`,
    ).toReply();
  }
  if (HANDSHAKES.has(name) && command.client !== undefined) connection.appName = appNameOf(command);
  // mongod notes the session before anything can fail the command.
  context.sessions.touch(command.lsid);
  const run = (): Document => runCommand(name, handler, command, context);
  const effect =
    name === 'configureFailPoint'
      ? undefined
      : context.failPoints?.check({ name, command, appName: connection.appName });
  if (!effect) return run();
  const finish = (): Document | ConnectionAction => {
    if (effect.close) return ConnectionAction.close();
    if (effect.error) return effect.error;
    const reply = run();
    return effect.addToReply ? { ...reply, ...effect.addToReply } : reply;
  };
  return effect.blockMs > 0 ? ConnectionAction.delay(effect.blockMs, finish) : finish();
}

function handlerFor(name: string, context: CommandContext): CommandHandler | undefined {
  if (Object.hasOwn(handlers, name)) return handlers[name];
  if (context.failPoints && Object.hasOwn(testCommands, name)) return testCommands[name];
  return undefined;
}

function runCommand(name: string, handler: CommandHandler, command: Document, context: CommandContext): Document {
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
