import type { SessionData } from 'express-session';
import { ObjectId, type Document } from 'mongodb';

/** Each top-level application field of a session, serialized: what a later write compares with. */
export type Fields = Map<string, string>;

/** What every write of a session stores, whatever the request changed. */
export interface AlwaysWritten {
  cookie: object;
  expires: Date;
  touchedAt: number;
}

/** Top-level session fields the store writes itself, whatever the request changed. */
const STORE_FIELDS = new Set(['cookie', 'touchedAt']);

/**
 * What the store remembers of each request's session, so that a write sends only the fields that
 * changed (two parallel requests that change different fields both keep theirs) and an unchanged
 * repeat sends nothing (after `regenerate`, express-session saves again at the end of the
 * response). Keyed by the session objects themselves: entries go with the request.
 */
export class SessionChanges {
  /** Keyed by the data object `get` returned, until express-session makes its Session of it. */
  private readonly read = new WeakMap<object, Fields>();
  /** Keyed by the request's Session object: its id and its fields as last read or written. */
  private readonly baselines = new WeakMap<object, { sid: string; fields: Fields }>();
  /** Keyed by the request's Session object: what was last written, under which id. */
  private readonly lastWritten = new WeakMap<object, { sid: string; fingerprint: string }>();

  /** `get` read this session data. */
  wasRead(data: SessionData): void {
    this.read.set(data, fieldsOf(data));
  }

  /** express-session made the request's `session` (id `sid`) of the data `get` read. */
  becameSession(data: SessionData, session: object, sid: string): void {
    const fields = this.read.get(data);
    if (fields) this.baselines.set(session, { sid, fields });
  }

  /** Whether this Session is in the store under `sid` (read or written by this process). */
  isStored(session: object, sid: string): boolean {
    return this.baselines.get(session)?.sid === sid;
  }

  /**
   * A write of `data` under `sid` about to start: whether it repeats the last one exactly (the
   * rolling cookie's expiry aside), the stored fields it differs from (none: a new session), and
   * `done` to call once it is stored.
   */
  write(sid: string, data: SessionData): { repeat: boolean; baseline?: Fields; done: () => void } {
    const fingerprint = fingerprintOf(data);
    const last = this.lastWritten.get(data);
    const known = this.baselines.get(data);
    return {
      repeat: last?.sid === sid && last.fingerprint === fingerprint,
      baseline: known?.sid === sid ? known.fields : undefined,
      done: () => {
        this.lastWritten.set(data, { sid, fingerprint });
        this.baselines.set(data, { sid, fields: fieldsOf(data) });
      },
    };
  }
}

/** The update of a stored session: the fields that differ from `baseline`, the cookie and the expiry. */
export function updateOf(
  data: SessionData,
  baseline: Fields,
  always: AlwaysWritten,
  userId: ObjectId | undefined,
): Document {
  const $set: Document = {
    expires: always.expires,
    'session.cookie': always.cookie,
    'session.touchedAt': always.touchedAt,
  };
  const $unset: Document = {};
  const current = new Set<string>();
  for (const [field, value] of applicationFields(data)) {
    current.add(field);
    if (baseline.get(field) !== JSON.stringify(value)) {
      $set[`session.${field}`] = value;
      if (field === 'user' && userId) $set.userId = userId;
    }
  }
  if (baseline.has('user') && !current.has('user')) $unset.userId = '';
  for (const field of baseline.keys()) {
    if (!current.has(field)) $unset[`session.${field}`] = '';
  }
  return Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
}

/** The ObjectId that `session.user._id` names, when there is a user and the id is one. */
export function sessionUserId(data: SessionData): ObjectId | undefined {
  const id = data.user?._id;
  return typeof id === 'string' && ObjectId.isValid(id) && id.length === 24 ? new ObjectId(id) : undefined;
}

/** The cookie as the library's `set` stores it: `Cookie#toJSON` (not in the type definitions). */
export function storedCookie(cookie: SessionData['cookie']): object {
  const serializable = cookie as SessionData['cookie'] & { toJSON?: () => object };
  return typeof serializable.toJSON === 'function' ? serializable.toJSON() : cookie;
}

/** The top-level fields the application keeps in the session (not the cookie, not `touchedAt`). */
function applicationFields(data: SessionData): Array<[string, unknown]> {
  return Object.entries(data).filter(([field, value]) => {
    if (STORE_FIELDS.has(field) || value === undefined) return false;
    // Field names are the shop's own (session.d.ts); a path character would address something else.
    if (field.includes('.') || field.startsWith('$')) throw new Error('a session field name may not hold . or $');
    return true;
  });
}

function fieldsOf(data: SessionData): Fields {
  return new Map(applicationFields(data).map(([field, value]) => [field, JSON.stringify(value)]));
}

/** The session's contents apart from the cookie's expiry, which moves on every request (rolling). */
function fingerprintOf(data: SessionData): string {
  return JSON.stringify({ ...data, cookie: { ...storedCookie(data.cookie), expires: undefined } });
}
