import { createHash } from 'node:crypto';
import { Binary, type Document } from 'bson';
import { CommandError } from './errors';
import { notImplemented, unknownField } from './unsupported';

/**
 * The logical sessions the engine has seen: the `lsid` each driver sends with its commands, as
 * mongod's logical session cache keeps them for `$listLocalSessions`. A session is a record of
 * when it was last used and nothing more: the engine has no transactions or retryable writes to
 * tie to it.
 *
 * Bounded two ways: a session unused for `logicalSessionTimeoutMinutes` (30, what hello reports)
 * is forgotten, as mongod forgets it, and past MAX_SESSIONS the least recently used is dropped
 * (mongod refuses new sessions past its limit instead; dropping keeps every command working).
 */

export const MAX_SESSIONS = 10_000;
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;
const UUID_SUBTYPE = 4;
const STAGE = '$listLocalSessions';

/** mongod's uid for a session opened without authentication: the SHA-256 of nothing. */
const NO_AUTH_DIGEST = sha256('');

interface SessionRecord {
  id: Buffer;
  uid: Buffer;
  lastUse: number;
}

export class LogicalSessions {
  /** Keyed by id and uid; in order of last use, least recent first. */
  private readonly records = new Map<string, SessionRecord>();

  constructor(
    private readonly limit = MAX_SESSIONS,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.records.size;
  }

  /** Notes a command's `lsid` as used now. An lsid that isn't one (no UUID `id`) is not a session. */
  touch(lsid: unknown): void {
    const record = recordOf(lsid, this.clock());
    if (!record) return;
    const key = keyOf(record);
    this.records.delete(key);
    this.records.set(key, record);
    this.expire();
    for (const oldest of this.records.keys()) {
      if (this.records.size <= this.limit) break;
      this.records.delete(oldest);
    }
  }

  /** endSessions: the sessions are over. (mongod drops them at its next refresh, within 5 minutes.) */
  end(lsids: unknown): void {
    if (!Array.isArray(lsids)) return;
    for (const lsid of lsids) {
      const record = recordOf(lsid, 0);
      if (record) this.records.delete(keyOf(record));
    }
  }

  /** The documents `{ $listLocalSessions: spec }` starts a pipeline with, most recently used first. */
  list(spec: unknown): Document[] {
    const digests = digestsOf(spec);
    this.expire();
    const found: Document[] = [];
    for (const record of this.records.values()) {
      if (digests && !digests.has(record.uid.toString('hex'))) continue;
      found.push({
        _id: { id: new Binary(Buffer.from(record.id), UUID_SUBTYPE), uid: new Binary(Buffer.from(record.uid)) },
        lastUse: new Date(record.lastUse),
      });
    }
    return found.reverse();
  }

  private expire(): void {
    const limit = this.clock() - SESSION_TIMEOUT_MS;
    for (const [key, record] of this.records) {
      if (record.lastUse >= limit) break;
      this.records.delete(key);
    }
  }
}

function recordOf(lsid: unknown, now: number): SessionRecord | undefined {
  if (lsid === null || typeof lsid !== 'object' || Array.isArray(lsid)) return undefined;
  const { id, uid } = lsid as Document;
  if (!(id instanceof Binary) || id.sub_type !== UUID_SUBTYPE || id.length() !== 16) return undefined;
  // Without authentication mongod takes a client's uid as given, and fills in its own otherwise.
  const digest = uid instanceof Binary && uid.length() === 32 ? Buffer.from(uid.read(0, 32)) : NO_AUTH_DIGEST;
  return { id: Buffer.from(id.read(0, 16)), uid: digest, lastUse: now };
}

function keyOf(record: SessionRecord): string {
  return `${record.id.toString('hex')}:${record.uid.toString('hex')}`;
}

/**
 * The uids a spec asks for, as hex; undefined for every user. `{}` means the caller's own
 * sessions, and a caller without authentication is the user with no name (mongod's rule).
 */
function digestsOf(spec: unknown): Set<string> | undefined {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new CommandError(
      14,
      'TypeMismatch',
      `${STAGE} options must be specified in an object, but found: ${Array.isArray(spec) ? 'array' : spec === null ? 'null' : typeof spec}`,
    );
  }
  const fields = spec as Document;
  for (const field of Object.keys(fields)) {
    if (field === '$_internalPredicate') throw notImplemented(`${STAGE}: ${field}`);
    if (field !== 'allUsers' && field !== 'users') throw unknownField(`${STAGE}.${field}`);
  }
  if (fields.allUsers !== undefined && typeof fields.allUsers !== 'boolean') {
    throw typeMismatch(`${STAGE}.allUsers`, 'bool');
  }
  if (fields.users !== undefined && !Array.isArray(fields.users)) throw typeMismatch(`${STAGE}.users`, 'array');
  const users = ((fields.users as unknown[] | undefined) ?? []).map(userOf);
  if (fields.allUsers === true) {
    if (users.length > 0) {
      throw new CommandError(
        12,
        'UnsupportedFormat',
        `${STAGE} may not specify {allUsers:true} and {users:[...]} at the same time`,
      );
    }
    return undefined;
  }
  if (users.length === 0) users.push({ user: '', db: '' });
  return new Set(
    users.map(({ user, db }) => (user === '' && db === '' ? NO_AUTH_DIGEST : sha256(`${user}@${db}`)).toString('hex')),
  );
}

function userOf(value: unknown): { user: string; db: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw typeMismatch(`${STAGE}.users`, 'object');
  const fields = value as Document;
  for (const field of Object.keys(fields)) {
    if (field !== 'user' && field !== 'db') throw unknownField(`${STAGE}.users.${field}`);
  }
  for (const field of ['user', 'db']) {
    if (fields[field] === undefined) {
      throw new CommandError(
        40414,
        'Location40414',
        `BSON field '${STAGE}.users.${field}' is missing but a required field`,
      );
    }
    if (typeof fields[field] !== 'string') throw typeMismatch(`${STAGE}.users.${field}`, 'string');
  }
  return { user: fields.user as string, db: fields.db as string };
}

function typeMismatch(path: string, type: string): CommandError {
  return new CommandError(14, 'TypeMismatch', `BSON field '${path}' is the wrong type, expected type '${type}'`);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
