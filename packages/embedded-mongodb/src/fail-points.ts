import { Double, Int32, Long, type Document } from 'bson';
import { CommandError, ErrorCodes, badValue } from './errors';
import { notImplemented } from './unsupported';

/**
 * mongod's `failCommand` fail point, the one test command the drivers' own test suites lean on:
 * `configureFailPoint` arms it, and every command dispatched afterwards is checked against it.
 * It exists only when the engine is started with `testCommands: true` (mongod's
 * `enableTestCommands`); otherwise configureFailPoint is an unknown command.
 *
 * What it can do, as mongod does it (src/mongo/db/commands.cpp, evaluateFailCommandFailPoint):
 * fail a matching command with `errorCode` (and `errorLabels`), close the connection without
 * replying (`closeConnection`), hold the reply back for `blockTimeMS` (`blockConnection`), or let
 * a write run and add a `writeConcernError` to its reply. Anything else it is asked is refused by
 * name. There is one fail point and it holds one configuration: nothing here grows.
 */

export const FAIL_COMMAND = 'failCommand';
/** A blocked connection answers after at most this long (mongod has no cap; a test needs none longer). */
export const MAX_BLOCK_TIME_MS = 60_000;
/** Enough for any test; a configuration is checked against every command, so it stays small. */
const MAX_LISTED = 100;
/** mongod's own limit on a client's application name. */
const MAX_APP_NAME_BYTES = 128;

const FAILPOINT_MESSAGE = "Failing command via 'failCommand' failpoint";
const FAILPOINT_SET_FAILED = 266;

/** Data fields that change nothing here: the engine has no internal threads or local clients to spare. */
const INERT_DATA_FIELDS = new Set(['failInternalCommands', 'failLocalClients']);
const DATA_FIELDS = new Set([
  'failCommands',
  'failAllCommands',
  'errorCode',
  'errorLabels',
  'closeConnection',
  'blockConnection',
  'blockTimeMS',
  'writeConcernError',
  'appName',
  'namespace',
  ...INERT_DATA_FIELDS,
]);

/** Commands known by more than one name: a fail point listing one name catches them all, as in mongod. */
const ALIASES: Record<string, string> = {
  isMaster: 'hello',
  ismaster: 'hello',
  buildinfo: 'buildInfo',
  deleteIndexes: 'dropIndexes',
  findandmodify: 'findAndModify',
};

/** Commands that take a write concern, the ones a `writeConcernError` can be added to. */
const WRITE_CONCERN_COMMANDS = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'create',
  'drop',
  'dropDatabase',
  'createIndexes',
  'dropIndexes',
  'collMod',
  'renameCollection',
]);

type Mode = { kind: 'off' } | { kind: 'alwaysOn' } | { kind: 'times'; left: number } | { kind: 'skip'; left: number };

interface FailCommandConfig {
  commands: Set<string>;
  allCommands: boolean;
  errorCode?: number;
  errorLabels?: string[];
  closeConnection: boolean;
  blockTimeMS?: number;
  writeConcernError?: Document;
  appName?: string;
  namespace?: string;
}

/** What the dispatcher does to a command the fail point caught, in mongod's order. */
export interface FailPointEffect {
  /** Hold the connection this long before going on. */
  blockMs: number;
  /** Close the connection without a reply. */
  close: boolean;
  /** Answer with this error instead of running the command. */
  error?: Document;
  /** Run the command, then add these fields (writeConcernError, errorLabels) to its reply. */
  addToReply?: Document;
}

/** What a fail point needs to know of the command and the connection it came on. */
export interface CommandTarget {
  name: string;
  command: Document;
  appName: string | undefined;
}

export class FailPoints {
  private mode: Mode = { kind: 'off' };
  private config: FailCommandConfig | undefined;
  private timesEntered = 0;

  /** The configureFailPoint command. Answers `{ count }`: how often the fail point fired so far. */
  configure(command: Document): Document {
    if (command.$db !== undefined && command.$db !== 'admin') {
      throw new CommandError(13, 'Unauthorized', 'configureFailPoint may only be run against the admin database.');
    }
    const name = command.configureFailPoint;
    if (typeof name !== 'string') throw badValue("'configureFailPoint' must name a fail point");
    if (name !== FAIL_COMMAND) {
      throw new CommandError(
        FAILPOINT_SET_FAILED,
        'FailPointSetFailed',
        `${name} not found (the embedded engine has only the '${FAIL_COMMAND}' fail point)`,
      );
    }
    const mode = parseMode(command.mode);
    const config = mode.kind === 'off' ? undefined : parseData(command.data);
    const count = this.timesEntered;
    this.mode = mode;
    this.config = config;
    return { count, ok: 1 };
  }

  /**
   * Checked for each command before it runs (never for configureFailPoint itself, nor for a
   * command the engine doesn't have). Counts down `times` and `skip` only when it matches.
   */
  check(target: CommandTarget): FailPointEffect | undefined {
    const config = this.config;
    if (!config || this.mode.kind === 'off' || !matches(config, target)) return undefined;
    const addsWriteConcernError =
      config.writeConcernError !== undefined && supportsWriteConcern(canonical(target.name), target.command);
    if (!config.closeConnection && config.blockTimeMS === undefined && config.errorCode === undefined) {
      if (!addsWriteConcernError) return undefined;
    }
    if (!this.fire()) return undefined;
    const labels = config.errorLabels !== undefined && config.errorLabels.length > 0 ? config.errorLabels : undefined;
    const effect: FailPointEffect = { blockMs: config.blockTimeMS ?? 0, close: config.closeConnection };
    // A write that fails still waits for its write concern in mongod: the error carries it too.
    const writeConcernError = addsWriteConcernError ? { writeConcernError: config.writeConcernError } : {};
    if (config.errorCode !== undefined) {
      effect.error = {
        ok: 0,
        errmsg: FAILPOINT_MESSAGE,
        code: config.errorCode,
        codeName: codeName(config.errorCode),
        ...writeConcernError,
        ...(labels ? { errorLabels: labels } : {}),
      };
    } else if (addsWriteConcernError) {
      effect.addToReply = { ...writeConcernError, ...(labels ? { errorLabels: labels } : {}) };
    }
    return effect;
  }

  /** Whether this activation fires, moving the mode's counter on as mongod does. */
  private fire(): boolean {
    const mode = this.mode;
    let fires = true;
    if (mode.kind === 'times') {
      mode.left--;
      if (mode.left <= 0) this.mode = { kind: 'off' };
    } else if (mode.kind === 'skip' && mode.left > 0) {
      mode.left--;
      fires = false;
    }
    if (fires) this.timesEntered++;
    return fires;
  }
}

/** The client's application name from its handshake, as mongod keeps it for `appName`. */
export function appNameOf(hello: Document): string | undefined {
  const client = hello.client as Document | undefined;
  const application = client && typeof client === 'object' ? (client.application as Document | undefined) : undefined;
  const name = application && typeof application === 'object' ? application.name : undefined;
  if (typeof name !== 'string') return undefined;
  return Buffer.byteLength(name) <= MAX_APP_NAME_BYTES ? name : undefined;
}

function matches(config: FailCommandConfig, target: CommandTarget): boolean {
  if (config.appName !== undefined && config.appName !== target.appName) return false;
  if (config.namespace !== undefined && config.namespace !== namespaceOf(target.command)) return false;
  if (config.allCommands) return true;
  return config.commands.has(canonical(target.name));
}

function canonical(name: string): string {
  return Object.hasOwn(ALIASES, name) ? ALIASES[name] : name;
}

function namespaceOf(command: Document): string {
  const db = typeof command.$db === 'string' ? command.$db : 'admin';
  const first = Object.values(command)[0];
  return typeof first === 'string' ? `${db}.${first}` : db;
}

/** An aggregate takes a write concern only when it writes ($out, $merge). */
function supportsWriteConcern(name: string, command: Document): boolean {
  if (name === 'aggregate') {
    const pipeline = Array.isArray(command.pipeline) ? (command.pipeline as unknown[]) : [];
    const last = pipeline[pipeline.length - 1];
    return !!last && typeof last === 'object' && ('$out' in last || '$merge' in last);
  }
  return WRITE_CONCERN_COMMANDS.has(name);
}

function parseMode(mode: unknown): Mode {
  if (mode === undefined) {
    throw new CommandError(20, 'IllegalOperation', "When setting a failpoint, you must supply a 'mode'");
  }
  if (mode === 'off') return { kind: 'off' };
  if (mode === 'alwaysOn') return { kind: 'alwaysOn' };
  if (typeof mode === 'string') throw badValue(`unknown mode: ${mode}`);
  if (mode === null || typeof mode !== 'object' || Array.isArray(mode)) {
    throw new CommandError(14, 'TypeMismatch', "'mode' must be a string or JSON object");
  }
  const fields = mode as Document;
  for (const kind of ['times', 'skip'] as const) {
    if (fields[kind] === undefined) continue;
    const n = integer(fields[kind], kind);
    if (n < 0) throw badValue(`'${kind}' option to 'mode' must be positive`);
    if (n > 2 ** 31 - 1) throw badValue(`'${kind}' option to 'mode' is too large`);
    // mongod turns a fail point off once its count is used up: `times: 0` fires never.
    return kind === 'times' && n === 0 ? { kind: 'off' } : { kind, left: n };
  }
  if (fields.activationProbability !== undefined)
    throw notImplemented("configureFailPoint: mode 'activationProbability'");
  throw badValue("'mode' must be one of 'off', 'alwaysOn', 'times', and 'skip'");
}

function parseData(data: unknown): FailCommandConfig {
  if (data === undefined) data = {};
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new CommandError(14, 'TypeMismatch', "the 'data' option must be a JSON object");
  }
  const fields = data as Document;
  for (const field of Object.keys(fields)) {
    if (!DATA_FIELDS.has(field)) throw notImplemented(`configureFailPoint: failCommand data field '${field}'`);
  }
  const config: FailCommandConfig = {
    commands: new Set(stringList(fields.failCommands, 'failCommands').map(canonical)),
    allCommands: fields.failAllCommands !== undefined,
    closeConnection: boolean(fields.closeConnection, 'closeConnection'),
  };
  if (fields.errorCode !== undefined) config.errorCode = integer(fields.errorCode, 'errorCode');
  if (fields.errorLabels !== undefined) config.errorLabels = stringList(fields.errorLabels, 'errorLabels');
  if (boolean(fields.blockConnection, 'blockConnection')) {
    if (fields.blockTimeMS === undefined) {
      throw invalidOptions("must specify 'blockTimeMS' when 'blockConnection' is true");
    }
    const ms = integer(fields.blockTimeMS, 'blockTimeMS');
    if (ms < 0) throw invalidOptions("'blockTimeMS' must be non-negative");
    if (ms > MAX_BLOCK_TIME_MS)
      throw invalidOptions(`'blockTimeMS' may be at most ${MAX_BLOCK_TIME_MS} in the embedded engine`);
    config.blockTimeMS = ms;
  }
  if (fields.writeConcernError !== undefined) {
    const wce = fields.writeConcernError;
    if (wce === null || typeof wce !== 'object' || Array.isArray(wce))
      throw badValue("'writeConcernError' must be a document");
    config.writeConcernError = wce as Document;
  }
  if (fields.appName !== undefined) {
    if (typeof fields.appName !== 'string') throw badValue("'appName' must be a string");
    config.appName = fields.appName;
  }
  if (fields.namespace !== undefined) {
    if (typeof fields.namespace !== 'string') throw badValue("'namespace' must be a string");
    config.namespace = fields.namespace;
  }
  return config;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badValue(`'${field}' must be an array of strings`);
  if (value.length > MAX_LISTED) throw badValue(`'${field}' may list at most ${MAX_LISTED} names`);
  if (!value.every((item) => typeof item === 'string')) throw badValue(`'${field}' must be an array of strings`);
  return value as string[];
}

/** Any BSON number with an integral value, as mongod's bsonExtractIntegerField takes it. */
function integer(value: unknown, field: string): number {
  let n = Number.NaN;
  if (typeof value === 'number') n = value;
  else if (value instanceof Long) n = value.toNumber();
  else if (value instanceof Int32 || value instanceof Double) n = value.valueOf();
  if (!Number.isSafeInteger(n)) throw new CommandError(14, 'TypeMismatch', `'${field}' must be an integer`);
  return n;
}

function boolean(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new CommandError(14, 'TypeMismatch', `'${field}' must be a boolean`);
  return value;
}

function invalidOptions(message: string): CommandError {
  return new CommandError(ErrorCodes.InvalidOptions, 'InvalidOptions', message);
}

/** Names for the codes tests fail commands with; mongod names an unknown code `Location<code>`. */
const CODE_NAMES: Record<number, string> = {
  1: 'InternalError',
  2: 'BadValue',
  6: 'HostUnreachable',
  7: 'HostNotFound',
  8: 'UnknownError',
  9: 'FailedToParse',
  11: 'UserNotFound',
  13: 'Unauthorized',
  14: 'TypeMismatch',
  18: 'AuthenticationFailed',
  20: 'IllegalOperation',
  24: 'LockTimeout',
  26: 'NamespaceNotFound',
  43: 'CursorNotFound',
  48: 'NamespaceExists',
  50: 'MaxTimeMSExpired',
  59: 'CommandNotFound',
  64: 'WriteConcernTimeout',
  72: 'InvalidOptions',
  89: 'NetworkTimeout',
  91: 'ShutdownInProgress',
  96: 'OperationFailed',
  100: 'UnsatisfiableWriteConcern',
  112: 'WriteConflict',
  121: 'DocumentValidationFailure',
  133: 'FailedToSatisfyReadPreference',
  134: 'ReadConcernMajorityNotAvailableYet',
  136: 'CappedPositionLost',
  150: 'StaleEpoch',
  175: 'QueryPlanKilled',
  189: 'PrimarySteppedDown',
  234: 'RetryChangeStream',
  237: 'CursorKilled',
  238: 'NotImplemented',
  251: 'NoSuchTransaction',
  256: 'TransactionCommitted',
  261: 'TooManyLogicalSessions',
  262: 'ExceededTimeLimit',
  263: 'OperationNotSupportedInTransaction',
  280: 'ChangeStreamFatalError',
  286: 'ChangeStreamHistoryLost',
  391: 'ReauthenticationRequired',
  9001: 'SocketException',
  10107: 'NotWritablePrimary',
  11000: 'DuplicateKey',
  11600: 'InterruptedAtShutdown',
  11601: 'Interrupted',
  11602: 'InterruptedDueToReplStateChange',
  13388: 'StaleConfig',
  13435: 'NotPrimaryNoSecondaryOk',
  13436: 'NotPrimaryOrSecondary',
};

function codeName(code: number): string {
  return CODE_NAMES[code] ?? `Location${code}`;
}
