import mongoose from 'mongoose';
import type { MongoClient } from 'mongodb';
import type { MongoSessionStore } from '../../src/sessions/mongo-session-store';

/*
 * Counts what the shop sends to the database, through the drivers' command monitoring
 * (startTestShop turns `monitorCommands` on for both clients): mongoose's client carries users,
 * products and orders, the session store's own client carries sessions.
 */

export interface RecordedCommand {
  /** e.g. `find`, `update`, `delete`. */
  name: string;
  collection: string;
  command: Record<string, unknown>;
}

export interface CommandRecorder {
  readonly commands: RecordedCommand[];
  /** `"<command> <collection>"` for each command sent to that collection, in order. */
  on(collection: string): string[];
  stop(): void;
}

type CommandStartedEvent = { commandName: string; command: Record<string, unknown> };

/** Records every command that names a collection, from mongoose's client and the store's client. */
export function recordCommands(store: MongoSessionStore): CommandRecorder {
  const clients = [store.database.client, mongoose.connection.getClient() as unknown as MongoClient];
  const commands: RecordedCommand[] = [];
  const listener = (event: CommandStartedEvent) => {
    const collection = event.command[event.commandName];
    if (typeof collection === 'string') commands.push({ name: event.commandName, collection, command: event.command });
  };
  for (const client of clients) client.on('commandStarted', listener);
  return {
    commands,
    on: (collection) => commands.filter((c) => c.collection === collection).map((c) => `${c.name} ${c.collection}`),
    stop: () => {
      for (const client of clients) client.off('commandStarted', listener);
    },
  };
}

/** Runs `work` while recording, and always stops listening afterwards. */
export async function commandsDuring(store: MongoSessionStore, work: () => Promise<unknown>): Promise<CommandRecorder> {
  const recorder = recordCommands(store);
  try {
    await work();
  } finally {
    recorder.stop();
  }
  return recorder;
}
