import Bowser from 'bowser';
import type { Clock } from '../../platform/clock';
import { SessionReferences } from '../../sessions/session-references';
import type { IUser, UserDocument, UserModel } from '../user.schema';

/** Devices an account remembers; the one seen longest ago goes first when a new one comes. */
export const KNOWN_DEVICES = 10;

/** A device's time is written again only after this: most logins write nothing. */
const SEEN_AGAIN_AFTER_MS = 24 * 60 * 60_000;

/**
 * What counts as a device for "a login from a new device": the browser's family, the system and
 * the kind of machine (Firefox, Linux, desktop), never their versions (an update is no new
 * device), nor the address (it changes with every network). Stored as a keyed hash (HMAC under
 * a key derived from each SESSION_SECRET): the list says nothing without the secret. Coarse on
 * purpose: it tells the owner of a login from somewhere unusual, it is not a fingerprint.
 */
export function deviceName(userAgent: string | undefined): string {
  if (!userAgent) return 'unknown';
  const { browser, os, platform } = Bowser.parse(userAgent);
  return [browser.name ?? '?', os.name ?? '?', platform.type ?? '?'].join('|');
}

/**
 * The browsers and systems each account logged in from (`knownDevices` on the User, the
 * `KNOWN_DEVICES` most recently seen). Each login notes its device in one conditional update,
 * so two logins from a new device at once report it once.
 */
export class KnownDevices {
  private readonly keyings: SessionReferences[];

  constructor(
    private readonly users: UserModel,
    /** The session secrets: the first keys what is stored, all of them recognise (rotation). */
    secrets: readonly string[],
    private readonly now: Clock,
  ) {
    this.keyings = secrets.map((secret) => new SessionReferences(secret, 'known-devices'));
  }

  /**
   * Notes a login from `userAgent`: whether it is new for an account that had logged in
   * elsewhere before (an account's first login, or its first since devices are noted, is not).
   */
  async note(
    user: Pick<UserDocument, '_id' | 'knownDevices'>,
    userAgent: string | undefined,
  ): Promise<{ isNew: boolean }> {
    const name = deviceName(userAgent);
    const keys = this.keyings.map((keying) => keying.of(name));
    const seenAt = new Date(this.now());
    // The usual login, from a device seen lately (the User was just read): nothing to write.
    const current = user.knownDevices?.find((device) => device.key === keys[0]);
    if (current?.seenAt && seenAt.getTime() - current.seenAt.getTime() < SEEN_AGAIN_AFTER_MS) return { isNew: false };
    const known = await this.users.updateOne(
      { _id: user._id, knownDevices: { $elemMatch: { key: { $in: keys } } } },
      { $set: { 'knownDevices.$.seenAt': seenAt, 'knownDevices.$.key': keys[0] } },
    );
    if (known.matchedCount === 1) return { isNew: false };
    const before = await this.users
      .findOneAndUpdate(
        { _id: user._id, 'knownDevices.key': { $nin: keys } },
        {
          $push: { knownDevices: { $each: [{ key: keys[0], seenAt }], $sort: { seenAt: 1 }, $slice: -KNOWN_DEVICES } },
        },
        { returnDocument: 'before', projection: { knownDevices: 1 } },
      )
      .lean<Pick<IUser, 'knownDevices'>>();
    return { isNew: (before?.knownDevices?.length ?? 0) > 0 };
  }
}
