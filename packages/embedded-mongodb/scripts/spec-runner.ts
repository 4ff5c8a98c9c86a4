/**
 * Runs MongoDB's unified-format spec tests (mongodb/specifications, source/<suite>/tests/unified)
 * against an in-memory engine through the official driver, and reports pass / fail / skipped per
 * folder. A failure is a measurement, not a crash: the exit code is 0 unless the runner breaks.
 *
 *   npm run test:spec -- --specs /path/to/specifications/source/crud/tests/unified [--specs ...]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EJSON, Int32, type Document } from 'bson';
import {
  type ClientSession,
  type Collection,
  type Db,
  FindCursor,
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
} from 'mongodb';
import { startEmbeddedMongo } from '../src/index';
import { isPlainDocument, mismatch } from './spec-match';

/** What the engine presents itself as: a standalone MongoDB 7.0. */
const SERVER_VERSION = [7, 0, 0];
const TOPOLOGY = 'single';
/** Events nobody asks a test to observe (the format's rule, plus the handshake). */
const ALWAYS_IGNORED = new Set(['configureFailPoint', 'hello', 'isMaster', 'ismaster', 'saslStart', 'saslContinue']);

type Entity =
  | { kind: 'client'; client: MongoClient; events: ObservedEvent[] }
  | { kind: 'database'; db: Db }
  | { kind: 'collection'; collection: Collection<Document> }
  | { kind: 'session'; session: ClientSession }
  | { kind: 'cursor'; cursor: FindCursor<Document> }
  | { kind: 'value'; value: unknown };

interface ObservedEvent {
  type: 'commandStartedEvent' | 'commandSucceededEvent' | 'commandFailedEvent';
  commandName: string;
  databaseName: string;
  command?: Document;
  reply?: Document;
}

/** Why a test failed: the engine refused, the engine answered something else, or the runner could not. */
type FailureKind = 'explicit error' | 'no error where one was expected' | 'different result' | 'runner';

type Result =
  { status: 'pass' } | { status: 'skip'; reason: string } | { status: 'fail'; kind: FailureKind; reason: string };

class Failure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Tests the Node.js driver fails against any server, and which its own unified runner skips by
 * description (test/integration/crud/crud.spec.test.ts in mongodb/node-mongodb-native): the
 * driver, not the server, answers differently. Skipped here by exact description, each reported.
 */
const DRIVER_DEVIATIONS = new Map<string, string>([
  ...[
    'inserting _id with type null via insertOne',
    'inserting _id with type null via insertMany',
    'inserting _id with type null via bulkWrite',
    'inserting _id with type null via clientBulkWrite',
  ].map((description): [string, string] => [
    description,
    'Node.js driver deviation NODE-6468: the driver replaces a null _id with an ObjectId',
  ]),
  ...[
    'InsertMany passes bypassDocumentValidation: false',
    'FindOneAndUpdate passes bypassDocumentValidation: false',
    'FindOneAndReplace passes bypassDocumentValidation: false',
    'BulkWrite passes bypassDocumentValidation: false',
    'Aggregate with $out passes bypassDocumentValidation: false',
  ].map((description): [string, string] => [
    description,
    'Node.js driver deviation NODE-6484: the driver omits bypassDocumentValidation: false',
  ]),
]);

const SUPPORTED_OPERATIONS = new Set([
  'insertOne',
  'insertMany',
  'find',
  'findOne',
  'aggregate',
  'distinct',
  'count',
  'countDocuments',
  'estimatedDocumentCount',
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'bulkWrite',
  'createIndex',
  'listIndexes',
  'dropIndex',
  'dropIndexes',
  'createCollection',
  'dropCollection',
  'listCollections',
  'listCollectionNames',
  'modifyCollection',
  'rename',
  'runCommand',
  'createFindCursor',
  'iterateUntilDocumentOrError',
  'close',
  'failPoint',
  'assertCollectionExists',
  'assertCollectionNotExists',
  'assertIndexExists',
  'assertIndexNotExists',
]);

/** Results that are iterables of documents: each element is matched as a root-level document. */
const CURSOR_OPERATIONS = new Set(['find', 'aggregate', 'listIndexes', 'listCollections']);

async function main(): Promise<void> {
  const roots = argValues('--specs');
  if (roots.length === 0) throw new Error('usage: spec-runner --specs DIR [--specs DIR ...]');
  // Test commands on, as the drivers' suites run mongod with enableTestCommands (fail points).
  const server = await startEmbeddedMongo({ port: 0, testCommands: true });
  const internal = new MongoClient(server.uri);
  const totals = { pass: 0, fail: 0, skip: 0 };
  try {
    for (const root of roots) {
      for (const [folder, files] of filesByFolder(path.resolve(root))) {
        const counts = { pass: 0, fail: 0, skip: 0 };
        const failures: string[] = [];
        const kinds = new Map<FailureKind, number>();
        const skipReasons = new Map<string, number>();
        for (const file of files) {
          for (const [description, result] of await runFile(file, server.uri, internal)) {
            counts[result.status]++;
            if (result.status === 'fail') {
              kinds.set(result.kind, (kinds.get(result.kind) ?? 0) + 1);
              failures.push(`  FAIL ${path.basename(file)}: ${description} [${result.kind}] ${result.reason}`);
            } else if (result.status === 'skip') {
              skipReasons.set(result.reason, (skipReasons.get(result.reason) ?? 0) + 1);
            }
          }
        }
        totals.pass += counts.pass;
        totals.fail += counts.fail;
        totals.skip += counts.skip;
        console.log(`${folder}: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`);
        for (const [kind, n] of kinds) console.log(`  failed with ${kind}: ${n}`);
        for (const [reason, n] of [...skipReasons].sort((a, b) => b[1] - a[1]))
          console.log(`  skipped (${n}): ${reason}`);
        for (const line of failures) console.log(line);
      }
    }
    console.log(`total: ${totals.pass} passed, ${totals.fail} failed, ${totals.skip} skipped`);
  } finally {
    await internal.close();
    await server.stop();
  }
}

function argValues(name: string): string[] {
  const values: string[] = [];
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) if (args[i] === name && args[i + 1]) values.push(args[++i]);
  return values;
}

/** The JSON files under a folder, grouped by the folder that holds them. */
function filesByFolder(root: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.json')) {
        const list = groups.get(dir) ?? [];
        list.push(full);
        groups.set(dir, list);
      }
    }
  };
  walk(root);
  return groups;
}

async function runFile(file: string, uri: string, internal: MongoClient): Promise<Array<[string, Result]>> {
  // Canonical mode keeps a Long or an explicit double as the file writes it; int32s become plain
  // numbers, which is what the driver expects of options such as `limit` and sends as int32 anyway.
  const spec = plainInt32s(EJSON.parse(readFileSync(file, 'utf8'), { relaxed: false }));
  if (!isPlainDocument(spec) || !Array.isArray(spec.tests))
    return [[path.basename(file), runnerFailure('not a unified test file')]];
  const fileSkip = requirementsUnmet(spec.runOnRequirements);
  const results: Array<[string, Result]> = [];
  for (const test of spec.tests) {
    if (!isPlainDocument(test)) continue;
    const description = String(test.description);
    const skip =
      DRIVER_DEVIATIONS.get(description) ?? fileSkip ?? requirementsUnmet(test.runOnRequirements) ?? unsupported(test);
    if (skip) {
      results.push([description, { status: 'skip', reason: skip }]);
      continue;
    }
    results.push([description, await runTest(spec, test, uri, internal)]);
  }
  return results;
}

function plainInt32s(value: unknown): unknown {
  if (value instanceof Int32) return value.value;
  if (Array.isArray(value)) return value.map(plainInt32s);
  if (!isPlainDocument(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = plainInt32s(field);
  return out;
}

function runnerFailure(reason: string): Result {
  return { status: 'fail', kind: 'runner', reason };
}

/** Undefined when a standalone 7.0 without auth meets any one of the requirements. */
function requirementsUnmet(requirements: unknown): string | undefined {
  if (!Array.isArray(requirements) || requirements.length === 0) return undefined;
  const reasons = requirements.map((requirement) => requirementUnmet(isPlainDocument(requirement) ? requirement : {}));
  return reasons.every((reason) => reason !== undefined) ? `runOnRequirements: ${reasons[0]}` : undefined;
}

function requirementUnmet(requirement: Record<string, unknown>): string | undefined {
  if (typeof requirement.minServerVersion === 'string' && compareVersion(requirement.minServerVersion) > 0) {
    return `minServerVersion ${requirement.minServerVersion}`;
  }
  if (typeof requirement.maxServerVersion === 'string' && compareVersion(requirement.maxServerVersion) < 0) {
    return `maxServerVersion ${requirement.maxServerVersion}`;
  }
  if (Array.isArray(requirement.topologies) && !requirement.topologies.includes(TOPOLOGY)) {
    return `topologies ${requirement.topologies.join(',')}`;
  }
  if (requirement.serverless === 'require') return 'serverless';
  if (requirement.auth === true) return 'auth';
  if (requirement.csfle === true) return 'csfle';
  if (requirement.authMechanism !== undefined) return 'authMechanism';
  if (requirement.serverParameters !== undefined) return 'serverParameters';
  return undefined;
}

/** Negative when `version` is below the engine's, positive when above (missing parts count as 0). */
function compareVersion(version: string): number {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (parts[i] ?? 0) - SERVER_VERSION[i];
    if (diff !== 0) return diff;
  }
  return 0;
}

function unsupported(test: Record<string, unknown>): string | undefined {
  if (typeof test.skipReason === 'string') return `skipReason: ${test.skipReason}`;
  for (const operation of Array.isArray(test.operations) ? test.operations : []) {
    if (!isPlainDocument(operation)) continue;
    if (!SUPPORTED_OPERATIONS.has(String(operation.name))) {
      return `the runner does not implement ${String(operation.name)}`;
    }
  }
  for (const expected of Array.isArray(test.expectEvents) ? test.expectEvents : []) {
    if (isPlainDocument(expected) && expected.eventType !== undefined && expected.eventType !== 'command') {
      return `the runner does not observe ${String(expected.eventType)} events`;
    }
  }
  return undefined;
}

async function runTest(
  spec: Record<string, unknown>,
  test: Record<string, unknown>,
  uri: string,
  internal: MongoClient,
): Promise<Result> {
  const entities = new Map<string, Entity>();
  try {
    await loadData(internal, spec.initialData);
    await createEntities(entities, spec.createEntities, uri);
    for (const operation of Array.isArray(test.operations) ? test.operations : []) {
      if (isPlainDocument(operation)) await runOperation(operation, entities, internal);
    }
    checkEvents(test.expectEvents, entities);
    await checkOutcome(test.outcome, internal);
    return { status: 'pass' };
  } catch (error) {
    if (error instanceof Failure) return { status: 'fail', kind: error.kind, reason: error.message };
    return { status: 'fail', kind: 'runner', reason: oneLine(error) };
  } finally {
    await disableFailPoints(test, internal);
    for (const entity of entities.values()) {
      if (entity.kind === 'cursor') await entity.cursor.close().catch(() => undefined);
      if (entity.kind === 'session') await entity.session.endSession().catch(() => undefined);
    }
    for (const entity of entities.values()) if (entity.kind === 'client') await entity.client.close();
  }
}

/** The format's rule: every fail point a test sets is turned off after it, whatever happened. */
async function disableFailPoints(test: Record<string, unknown>, internal: MongoClient): Promise<void> {
  const names = new Set<string>();
  for (const operation of Array.isArray(test.operations) ? test.operations : []) {
    if (!isPlainDocument(operation) || operation.name !== 'failPoint') continue;
    const args = isPlainDocument(operation.arguments) ? operation.arguments : {};
    const failPoint = isPlainDocument(args.failPoint) ? args.failPoint : {};
    if (typeof failPoint.configureFailPoint === 'string') names.add(failPoint.configureFailPoint);
  }
  for (const name of names) {
    await internal
      .db('admin')
      .command({ configureFailPoint: name, mode: 'off' })
      .catch(() => undefined);
  }
}

async function loadData(internal: MongoClient, initialData: unknown): Promise<void> {
  for (const data of Array.isArray(initialData) ? initialData : []) {
    if (!isPlainDocument(data)) continue;
    const db = internal.db(String(data.databaseName));
    const name = String(data.collectionName);
    await db.collection(name).drop();
    const documents = Array.isArray(data.documents) ? data.documents.filter(isPlainDocument) : [];
    const createOptions = isPlainDocument(data.createOptions) ? data.createOptions : undefined;
    if (createOptions || documents.length === 0) await db.createCollection(name, createOptions);
    if (documents.length > 0) await db.collection(name).insertMany(documents);
  }
}

async function createEntities(entities: Map<string, Entity>, definitions: unknown, uri: string): Promise<void> {
  for (const definition of Array.isArray(definitions) ? definitions : []) {
    if (!isPlainDocument(definition)) continue;
    const [kind, raw] = Object.entries(definition)[0] ?? [];
    if (!isPlainDocument(raw)) continue;
    const id = String(raw.id);
    if (kind === 'client') {
      const events: ObservedEvent[] = [];
      const uriOptions: Document = isPlainDocument(raw.uriOptions) ? raw.uriOptions : {};
      const client = new MongoClient(uri, { ...uriOptions, monitorCommands: true });
      const observed = new Set(Array.isArray(raw.observeEvents) ? raw.observeEvents.map(String) : []);
      const ignored = new Set(
        Array.isArray(raw.ignoreCommandMonitoringEvents) ? raw.ignoreCommandMonitoringEvents.map(String) : [],
      );
      const observe = (event: ObservedEvent): void => {
        if (observed.has(event.type) && !ignored.has(event.commandName) && !ALWAYS_IGNORED.has(event.commandName)) {
          events.push(event);
        }
      };
      client.on('commandStarted', (e) =>
        observe({
          type: 'commandStartedEvent',
          commandName: e.commandName,
          databaseName: e.databaseName,
          command: e.command,
        }),
      );
      client.on('commandSucceeded', (e) =>
        observe({
          type: 'commandSucceededEvent',
          commandName: e.commandName,
          databaseName: e.databaseName,
          reply: isPlainDocument(e.reply) ? e.reply : undefined,
        }),
      );
      client.on('commandFailed', (e) =>
        observe({ type: 'commandFailedEvent', commandName: e.commandName, databaseName: e.databaseName }),
      );
      entities.set(id, { kind: 'client', client, events });
    } else if (kind === 'database') {
      const client = entityOf(entities, raw.client, 'client');
      const options: Document = isPlainDocument(raw.databaseOptions) ? raw.databaseOptions : {};
      entities.set(id, { kind: 'database', db: client.client.db(String(raw.databaseName), options) });
    } else if (kind === 'collection') {
      const database = entityOf(entities, raw.database, 'database');
      const options: Document = isPlainDocument(raw.collectionOptions) ? raw.collectionOptions : {};
      entities.set(id, { kind: 'collection', collection: database.db.collection(String(raw.collectionName), options) });
    } else if (kind === 'session') {
      const client = entityOf(entities, raw.client, 'client');
      const options: Document = isPlainDocument(raw.sessionOptions) ? raw.sessionOptions : {};
      entities.set(id, { kind: 'session', session: client.client.startSession(options) });
    } else {
      throw new Failure('runner', `the runner does not create ${String(kind)} entities`);
    }
  }
}

function entityOf<K extends Entity['kind']>(
  entities: Map<string, Entity>,
  id: unknown,
  kind: K,
): Extract<Entity, { kind: K }> {
  const entity = entities.get(String(id));
  if (!entity || !isKind(entity, kind)) throw new Failure('runner', `no ${kind} entity ${String(id)}`);
  return entity;
}

function isKind<K extends Entity['kind']>(entity: Entity, kind: K): entity is Extract<Entity, { kind: K }> {
  return entity.kind === kind;
}

async function runOperation(
  operation: Record<string, unknown>,
  entities: Map<string, Entity>,
  internal: MongoClient,
): Promise<void> {
  const name = String(operation.name);
  const args: Document = isPlainDocument(operation.arguments) ? { ...operation.arguments } : {};
  if (typeof args.session === 'string') args.session = entityOf(entities, args.session, 'session').session;
  let result: unknown;
  let error: unknown;
  try {
    result = await perform(name, String(operation.object), args, entities, internal);
  } catch (caught) {
    if (caught instanceof Failure) throw caught;
    error = caught;
  }
  if (operation.ignoreResultAndError === true) return;
  const expectError = isPlainDocument(operation.expectError) ? operation.expectError : undefined;
  if (expectError) {
    if (error === undefined)
      throw new Failure('no error where one was expected', `${name} succeeded: ${shortJson(result)}`);
    checkError(expectError, error, name);
    return;
  }
  if (error !== undefined) {
    const kind: FailureKind = error instanceof MongoServerError ? 'explicit error' : 'runner';
    throw new Failure(kind, `${name}: ${oneLine(error)}`);
  }
  if (operation.expectResult !== undefined) {
    const lookup = (id: string): unknown => {
      const entity = entities.get(id);
      return entity?.kind === 'value' ? entity.value : undefined;
    };
    const why =
      CURSOR_OPERATIONS.has(name) && Array.isArray(operation.expectResult) && Array.isArray(result)
        ? arrayOfRootsMismatch(operation.expectResult, result, lookup)
        : mismatch(operation.expectResult, result, { isRoot: true, entity: lookup });
    if (why) throw new Failure('different result', `${name}: ${why}`);
  }
  if (typeof operation.saveResultAsEntity === 'string') {
    entities.set(operation.saveResultAsEntity, resultEntity(result));
  }
}

function resultEntity(result: unknown): Entity {
  return result instanceof FindCursor ? { kind: 'cursor', cursor: result } : { kind: 'value', value: result };
}

function arrayOfRootsMismatch(
  expected: unknown[],
  actual: unknown[],
  entity: (id: string) => unknown,
): string | undefined {
  if (expected.length !== actual.length)
    return `expected ${expected.length} document(s), got ${actual.length}: ${shortJson(actual)}`;
  for (let i = 0; i < expected.length; i++) {
    const why = mismatch(expected[i], actual[i], { isRoot: true, entity }, `[${i}]`);
    if (why) return why;
  }
  return undefined;
}

function checkError(expected: Record<string, unknown>, error: unknown, name: string): void {
  const isServer = error instanceof MongoServerError;
  const fail = (why: string): never => {
    throw new Failure(isServer ? 'explicit error' : 'runner', `${name}: expected error ${why}, got ${oneLine(error)}`);
  };
  if (expected.isClientError === true && isServer) fail('from the client');
  if (expected.isClientError === false && !isServer) fail('from the server');
  const message = error instanceof Error ? error.message : String(error);
  if (
    typeof expected.errorContains === 'string' &&
    !message.toLowerCase().includes(expected.errorContains.toLowerCase())
  ) {
    fail(`containing "${expected.errorContains}"`);
  }
  if (expected.errorCode !== undefined) {
    if (!isServer || Number(error.code) !== Number(expected.errorCode)) fail(`code ${String(expected.errorCode)}`);
  }
  if (typeof expected.errorCodeName === 'string' && (!isServer || error.codeName !== expected.errorCodeName)) {
    fail(`codeName ${expected.errorCodeName}`);
  }
  for (const label of Array.isArray(expected.errorLabelsContain) ? expected.errorLabelsContain : []) {
    if (!isServer || !error.hasErrorLabel(String(label))) fail(`label ${String(label)}`);
  }
  for (const label of Array.isArray(expected.errorLabelsOmit) ? expected.errorLabelsOmit : []) {
    if (isServer && error.hasErrorLabel(String(label))) fail(`without label ${String(label)}`);
  }
  if (expected.errorResponse !== undefined) {
    const why = mismatch(expected.errorResponse, isServer ? error.errorResponse : undefined, { isRoot: true });
    if (why) fail(`response ${why}`);
  }
}

async function perform(
  name: string,
  object: string,
  args: Document,
  entities: Map<string, Entity>,
  internal: MongoClient,
): Promise<unknown> {
  if (object === 'testRunner') return runnerOperation(name, args, internal, entities);
  const target = entities.get(object);
  if (!target) throw new Failure('runner', `no entity ${object}`);
  if (name === 'iterateUntilDocumentOrError' || name === 'close') {
    if (target.kind !== 'cursor') throw new Failure('runner', `${name} on a ${target.kind}`);
    if (name === 'close') return target.cursor.close();
    return target.cursor.next();
  }
  if (target.kind === 'database') return databaseOperation(name, args, target.db);
  if (target.kind === 'collection') return collectionOperation(name, args, target.collection);
  throw new Failure('runner', `${name} on a ${target.kind} entity is not implemented`);
}

async function runnerOperation(
  name: string,
  args: Document,
  internal: MongoClient,
  entities: Map<string, Entity>,
): Promise<unknown> {
  const db = internal.db(String(args.databaseName ?? 'admin'));
  const collectionNames = async (): Promise<string[]> =>
    (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  const indexNames = async (): Promise<string[]> =>
    (await db.collection(String(args.collectionName)).listIndexes().toArray()).map((index) => String(index.name));
  const assert = (ok: boolean, why: string): void => {
    if (!ok) throw new Failure('different result', `${name}: ${why}`);
  };
  switch (name) {
    case 'failPoint':
      // Set through the test's own client, as the format says; runTest turns it off afterwards.
      return entityOf(entities, args.client, 'client')
        .client.db('admin')
        .command(isPlainDocument(args.failPoint) ? args.failPoint : {});
    case 'assertCollectionExists':
      return assert(
        (await collectionNames()).includes(String(args.collectionName)),
        `${String(args.collectionName)} missing`,
      );
    case 'assertCollectionNotExists':
      return assert(
        !(await collectionNames()).includes(String(args.collectionName)),
        `${String(args.collectionName)} exists`,
      );
    case 'assertIndexExists':
      return assert((await indexNames()).includes(String(args.indexName)), `index ${String(args.indexName)} missing`);
    case 'assertIndexNotExists':
      return assert(
        !(await indexNames().catch((): string[] => [])).includes(String(args.indexName)),
        `index ${String(args.indexName)} exists`,
      );
    default:
      throw new Failure('runner', `testRunner.${name} is not implemented`);
  }
}

async function databaseOperation(name: string, args: Document, db: Db): Promise<unknown> {
  const { pipeline, collection, filter, command, commandName: _commandName, ...options } = args;
  switch (name) {
    case 'aggregate':
      return db.aggregate(arrayOfDocuments(pipeline), options).toArray();
    case 'createCollection':
      await db.createCollection(String(collection), options);
      return undefined;
    case 'dropCollection':
      return db.dropCollection(String(collection), options);
    case 'listCollections':
      return db.listCollections(documentOr(filter), options).toArray();
    case 'listCollectionNames':
      return (await db.listCollections(documentOr(filter), { ...options, nameOnly: true }).toArray()).map(
        (c) => c.name,
      );
    case 'modifyCollection':
      return db.command({ collMod: String(collection), ...options });
    case 'runCommand':
      return db.command(documentOr(command), options);
    default:
      throw new Failure('runner', `database.${name} is not implemented`);
  }
}

async function collectionOperation(name: string, args: Document, collection: Collection<Document>): Promise<unknown> {
  const {
    filter: rawFilter,
    document,
    documents,
    update,
    replacement,
    pipeline,
    fieldName,
    requests,
    keys,
    to,
    ...options
  } = args;
  const filter = documentOr(rawFilter);
  if (typeof options.returnDocument === 'string') options.returnDocument = options.returnDocument.toLowerCase();
  switch (name) {
    case 'insertOne':
      return collection.insertOne(documentOr(document), options);
    case 'insertMany':
      return collection.insertMany(arrayOfDocuments(documents), options);
    case 'find':
      return collection.find(filter, options).toArray();
    case 'findOne':
      return collection.findOne(filter, options);
    case 'createFindCursor':
      return collection.find(filter, options);
    case 'aggregate':
      return collection.aggregate(arrayOfDocuments(pipeline), options).toArray();
    case 'distinct':
      return collection.distinct(String(fieldName), filter, options);
    case 'count':
      return collection.count(filter, options);
    case 'countDocuments':
      return collection.countDocuments(filter, options);
    case 'estimatedDocumentCount':
      return collection.estimatedDocumentCount(options);
    case 'updateOne':
      return collection.updateOne(filter, updateOf(update), options);
    case 'updateMany':
      return collection.updateMany(filter, updateOf(update), options);
    case 'replaceOne':
      return collection.replaceOne(filter, documentOr(replacement), options);
    case 'deleteOne':
      return collection.deleteOne(filter, options);
    case 'deleteMany':
      return collection.deleteMany(filter, options);
    case 'findOneAndUpdate':
      return collection.findOneAndUpdate(filter, updateOf(update), options);
    case 'findOneAndReplace':
      return collection.findOneAndReplace(filter, documentOr(replacement), options);
    case 'findOneAndDelete':
      return collection.findOneAndDelete(filter, options);
    case 'bulkWrite': {
      const result = await collection.bulkWrite(bulkRequests(requests), options);
      return {
        insertedCount: result.insertedCount,
        matchedCount: result.matchedCount,
        modifiedCount: result.modifiedCount,
        deletedCount: result.deletedCount,
        upsertedCount: result.upsertedCount,
        insertedIds: result.insertedIds,
        upsertedIds: result.upsertedIds,
      };
    }
    case 'createIndex':
      return collection.createIndex(documentOr(keys), options);
    case 'listIndexes':
      return collection.listIndexes(options).toArray();
    case 'dropIndex':
      return collection.dropIndex(String(options.name), options);
    case 'dropIndexes':
      return collection.dropIndexes(options);
    case 'rename':
      return collection.rename(String(to), options);
    default:
      throw new Failure('runner', `collection.${name} is not implemented`);
  }
}

/** The spec's bulk requests have the driver's shapes: `{ insertOne: { document } }` etc. */
function bulkRequests(requests: unknown): AnyBulkWriteOperation<Document>[] {
  return arrayOfDocuments(requests).map((request): AnyBulkWriteOperation<Document> => {
    const [kind, raw] = Object.entries(request)[0] ?? [];
    const model = documentOr(raw);
    const filter = documentOr(model.filter);
    switch (kind) {
      case 'insertOne':
        return { insertOne: { document: documentOr(model.document) } };
      case 'updateOne':
        return { updateOne: { ...model, filter, update: updateOf(model.update) } };
      case 'updateMany':
        return { updateMany: { ...model, filter, update: updateOf(model.update) } };
      case 'replaceOne':
        return { replaceOne: { ...model, filter, replacement: documentOr(model.replacement) } };
      case 'deleteOne':
        return { deleteOne: { ...model, filter } };
      case 'deleteMany':
        return { deleteMany: { ...model, filter } };
      default:
        throw new Failure('runner', `bulkWrite request ${String(kind)} is not implemented`);
    }
  });
}

function updateOf(update: unknown): Document | Document[] {
  return Array.isArray(update) ? arrayOfDocuments(update) : documentOr(update);
}

function documentOr(value: unknown): Document {
  return isPlainDocument(value) ? value : {};
}

function arrayOfDocuments(value: unknown): Document[] {
  return Array.isArray(value) ? value.filter(isPlainDocument) : [];
}

function checkEvents(expectEvents: unknown, entities: Map<string, Entity>): void {
  for (const expectation of Array.isArray(expectEvents) ? expectEvents : []) {
    if (!isPlainDocument(expectation)) continue;
    const client = entityOf(entities, expectation.client, 'client');
    const expected = Array.isArray(expectation.events) ? expectation.events.filter(isPlainDocument) : [];
    const actual = client.events;
    const extraAllowed = expectation.ignoreExtraEvents === true;
    if (actual.length < expected.length || (!extraAllowed && actual.length !== expected.length)) {
      throw new Failure(
        'different result',
        `events: expected ${expected.length}, observed ${actual.length} (${actual.map((e) => e.commandName).join(', ')})`,
      );
    }
    expected.forEach((event, i) => {
      const [type, fields] = Object.entries(event)[0] ?? [];
      const observed = actual[i];
      if (observed.type !== type)
        throw new Failure('different result', `event ${i}: expected ${type}, got ${observed.type}`);
      const want = isPlainDocument(fields) ? fields : {};
      const why =
        (typeof want.commandName === 'string' && want.commandName !== observed.commandName
          ? `commandName ${observed.commandName}`
          : undefined) ??
        (typeof want.databaseName === 'string' && want.databaseName !== observed.databaseName
          ? `databaseName ${observed.databaseName}`
          : undefined) ??
        (want.command !== undefined ? mismatch(want.command, observed.command, { isRoot: true }) : undefined) ??
        (want.reply !== undefined ? mismatch(want.reply, observed.reply, { isRoot: true }) : undefined);
      if (why) throw new Failure('different result', `event ${i} (${observed.commandName}): ${why}`);
    });
  }
}

async function checkOutcome(outcome: unknown, internal: MongoClient): Promise<void> {
  for (const data of Array.isArray(outcome) ? outcome : []) {
    if (!isPlainDocument(data)) continue;
    const actual = await internal
      .db(String(data.databaseName))
      .collection(String(data.collectionName))
      .find({}, { sort: { _id: 1 }, readConcern: { level: 'local' } })
      .toArray();
    const why = mismatch(Array.isArray(data.documents) ? data.documents : [], actual, { isRoot: false });
    if (why) throw new Failure('different result', `outcome ${String(data.collectionName)}: ${why}`);
  }
}

function oneLine(error: unknown): string {
  const text =
    error instanceof MongoServerError
      ? `${error.codeName ?? error.code}: ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  return text.replace(/\s+/g, ' ').slice(0, 240);
}

function shortJson(value: unknown): string {
  const text = value === undefined ? 'undefined' : EJSON.stringify({ v: value }, { relaxed: true }).slice(5, -1);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
