import type { CommandHandler } from './context';

/**
 * Commands mongod has only with `enableTestCommands`, and the engine only with `testCommands: true`.
 * Without it they are unknown commands (CommandNotFound), as on a production mongod.
 */
const configureFailPoint: CommandHandler = (command, { failPoints }) => {
  if (!failPoints) throw new Error('configureFailPoint without test commands'); // never dispatched so
  return failPoints.configure(command);
};

export const testCommands: Record<string, CommandHandler> = { configureFailPoint };
