import { badValue } from '../errors';
import type { CommandHandler } from './context';

/** endSessions: the listed sessions are over; the engine forgets them. */
const endSessions: CommandHandler = (command, { sessions }) => {
  if (!Array.isArray(command.endSessions)) throw badValue("'endSessions' must be an array of session ids");
  sessions.end(command.endSessions);
  return { ok: 1 };
};

export const sessionCommands: Record<string, CommandHandler> = { endSessions };
