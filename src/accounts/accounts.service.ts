import bcrypt from 'bcrypt';
import type { MongoSessionStore } from '../sessions/mongo-session-store';
import { User, type IUser, type UserDocument } from './user.model';

export interface AccountsOptions {
  bcryptRounds: number;
  /** Finds and ends a shopper's sessions through the index on `session.user._id`. */
  sessionStore: Pick<MongoSessionStore, 'destroyUserSessions'>;
}

export type SignupResult = 'created' | 'email-taken';

/** Accounts: signing up, checking a password, changing it, and ending a shopper's sessions. */
export class Accounts {
  private readonly bcryptRounds: number;
  private readonly sessionStore: AccountsOptions['sessionStore'];
  private dummyHash: Promise<string> | undefined;

  constructor({ bcryptRounds, sessionStore }: AccountsOptions) {
    this.bcryptRounds = bcryptRounds;
    this.sessionStore = sessionStore;
  }

  /** A new account with an empty cart; an email can have one account only (the unique index decides races). */
  async signUp(email: string, password: string): Promise<SignupResult> {
    if (await User.exists({ email })) return 'email-taken';
    const passwordHash = await bcrypt.hash(password, this.bcryptRounds);
    try {
      await User.create({ email, password: passwordHash, cart: { items: [] } });
    } catch (error) {
      // Two signups with one email at the same moment: the unique index decides.
      if (isDuplicateKeyError(error)) return 'email-taken';
      throw error;
    }
    return 'created';
  }

  /**
   * The account these credentials open, or undefined. An unknown email still costs one bcrypt
   * comparison, so response times don't reveal which accounts exist.
   */
  async authenticate(email: string, password: string): Promise<UserDocument | undefined> {
    const user = await User.findOne({ email });
    const matches = await bcrypt.compare(password, user?.password ?? (await this.hashOfNothing()));
    return user && matches ? user : undefined;
  }

  /**
   * Sets a new password when the current one is right and ends every session of the shopper:
   * whoever else holds one (a stolen cookie, a forgotten computer) is out. Returns the shopper's
   * new session generation, for the session the caller starts next; undefined when the current
   * password is wrong.
   */
  async changePassword(user: UserDocument, passwords: { current: string; next: string }): Promise<number | undefined> {
    if (!(await bcrypt.compare(passwords.current, user.password))) return undefined;
    const password = await bcrypt.hash(passwords.next, this.bcryptRounds);
    return this.endSessions(user, { password });
  }

  /** Ends every session of the shopper, the one asking included. */
  async logOutEverywhere(user: UserDocument): Promise<void> {
    await this.endSessions(user);
  }

  /**
   * Two walls. First the generation moves forward (with any other change, in the same update), so
   * that every existing session is refused by loadUser from now on; then the session documents go.
   * A request of one of them still in flight can neither write it back (the store never upserts a
   * loaded session) nor, if it did come back some other way, use it.
   */
  private async endSessions(user: UserDocument, changes: Partial<IUser> = {}): Promise<number> {
    const updated = await User.findOneAndUpdate(
      { _id: user._id },
      { $set: changes, $inc: { sessionGeneration: 1 } },
      { returnDocument: 'after', projection: { sessionGeneration: 1 } },
    ).lean<Pick<IUser, 'sessionGeneration'>>();
    await this.sessionStore.destroyUserSessions(user._id.toHexString());
    return updated?.sessionGeneration ?? 0;
  }

  private hashOfNothing(): Promise<string> {
    this.dummyHash ??= bcrypt.hash('no such account', this.bcryptRounds);
    return this.dummyHash;
  }
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
