import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE } from '../limits';
import { type CommandHandler, optionalNumber } from './context';

/**
 * A standalone server, as a MongoDB 7.0 describes itself. Standalone means the drivers don't use
 * retryable writes or transactions; no `compression` field means they never compress.
 */
const hello: CommandHandler = (command, context) => ({
  helloOk: true,
  isWritablePrimary: true,
  ismaster: true,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  maxMessageSizeBytes: MAX_MESSAGE_SIZE,
  maxWriteBatchSize: 100_000,
  localTime: new Date(),
  logicalSessionTimeoutMinutes: 30,
  connectionId: context.connectionId,
  minWireVersion: 0,
  maxWireVersion: 21,
  readOnly: false,
  ok: 1,
  ...(command.saslSupportedMechs ? { saslSupportedMechs: [] } : {}),
});

const buildInfo: CommandHandler = () => ({
  version: '7.0.0',
  gitVersion: 'embedded',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  storageEngines: ['embedded'],
  ok: 1,
});

const ok: CommandHandler = () => ({ ok: 1 });

/** Only the TTL monitor's interval is adjustable, the one setting tests need. */
const setParameter: CommandHandler = (command, context) => {
  const seconds = optionalNumber(command.ttlMonitorSleepSecs);
  const was = context.settings.ttlMonitorSleepSecs;
  if (seconds !== undefined && seconds > 0) {
    context.settings.ttlMonitorSleepSecs = seconds;
    context.onSettingsChanged();
  }
  return { was, ok: 1 };
};

const getParameter: CommandHandler = (_command, context) => ({
  ttlMonitorSleepSecs: context.settings.ttlMonitorSleepSecs,
  ok: 1,
});

export const handshakeCommands: Record<string, CommandHandler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  buildInfo,
  buildinfo: buildInfo,
  ping: ok,
  setParameter,
  getParameter,
};
