import type { Document } from 'bson';
import type { Logger } from '../logger';
import type { Cursors } from '../cursors';
import type { FailPoints } from '../fail-points';
import type { LogicalSessions } from '../sessions';
import type { Storage } from '../storage';

export interface EngineSettings {
  /** Seconds between TTL monitor passes (MongoDB's default is 60). */
  ttlMonitorSleepSecs: number;
}

/** What a command handler can reach. Handlers run synchronously: each command is atomic. */
export interface CommandContext {
  storage: Storage;
  cursors: Cursors;
  settings: EngineSettings;
  logger: Logger;
  connectionId: number;
  /** The sessions clients have used (`lsid`), for $listLocalSessions. */
  sessions: LogicalSessions;
  /** Present when the engine runs with test commands (configureFailPoint), as mongod with enableTestCommands. */
  failPoints?: FailPoints;
  /** Called when a setting changes at run time (setParameter). */
  onSettingsChanged(): void;
}

export type CommandHandler = (command: Document, context: CommandContext) => Document;

/** The database a command targets: `$db` (OP_MSG) or the legacy namespace (OP_QUERY). */
export function databaseOf(command: Document): string {
  return typeof command.$db === 'string' ? command.$db : 'admin';
}

/** The collection named by the command's first field, e.g. `{ find: 'users' }`. */
export function collectionName(command: Document): string {
  const name = Object.values(command)[0];
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('collection name must be a non-empty string');
  }
  return name;
}

export function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
