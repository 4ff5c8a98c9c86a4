import bcrypt from 'bcrypt';
import type { Types } from 'mongoose';
import type { Clock } from '../platform/clock';
import { crashHook, type CrashHook } from '../platform/crash-points';
import { isDuplicateKey } from '../platform/database/duplicate-key';
import type { MailMessage, Mailer } from '../platform/mailer';
import type { UserSessions } from '../sessions/user-sessions';
import { cleanUpAfter, deleteUser, type AccountDeletionHook } from './account-deletion';
import { AccountMail } from './account-mail';
import { AccountTokens } from './account-tokens';
import type { FreshAuthentication } from './step-up/step-up';
import type { IUser, UserDocument, UserModel } from './user.schema';

export interface AccountsOptions {
  /** The User model (src/user.model.ts): accounts writes its own part of it, the other areas theirs. */
  users: UserModel;
  bcryptRounds: number;
  /** Finds and ends a shopper's sessions through the index on `session.user._id`. */
  userSessions: Pick<UserSessions, 'endAll' | 'rename'>;
  mailer: Pick<Mailer, 'post'>;
  /** Where the links in mail point. */
  publicUrl: string;
  now: Clock;
  /** After a password reset: forget the account's failed logins (its slow-down). */
  onPasswordReset?: (email: string) => Promise<void>;
  /**
   * What the other areas do when an account goes, once the User itself is deleted (its products,
   * its orders): given here so that accounts, below them, does not import them. Each may run more
   * than once for the same account (after a crash).
   */
  onAccountDeleted?: AccountDeletionHook[];
  /** Tests end the process between the deletion's steps (platform/crash-points.ts). */
  crash?: CrashHook;
}

export type EmailConfirmation = 'confirmed' | 'changed' | 'address-taken' | 'invalid';
export type EmailChangeRequest = 'sent' | 'same-address';

/**
 * Accounts: signing up, checking a password, changing and resetting it, confirming the email
 * address and changing it, ending a shopper's sessions and deleting the account. Mail goes out in
 * the background (`Mailer.post`): an answer never waits for it, nor tells by its timing whether a
 * message was sent.
 */
export class Accounts {
  private readonly users: UserModel;
  private readonly bcryptRounds: number;
  private readonly userSessions: AccountsOptions['userSessions'];
  private readonly mailer: AccountsOptions['mailer'];
  private readonly mail: AccountMail;
  private readonly tokens: AccountTokens;
  private readonly now: Clock;
  private readonly onPasswordReset?: AccountsOptions['onPasswordReset'];
  private readonly onAccountDeleted: NonNullable<AccountsOptions['onAccountDeleted']>;
  private readonly crash: CrashHook;
  private dummyHash: Promise<string> | undefined;

  constructor(options: AccountsOptions) {
    this.users = options.users;
    this.bcryptRounds = options.bcryptRounds;
    this.userSessions = options.userSessions;
    this.mailer = options.mailer;
    this.mail = new AccountMail(options.publicUrl);
    this.tokens = new AccountTokens(options.now);
    this.now = options.now;
    this.onPasswordReset = options.onPasswordReset;
    this.onAccountDeleted = options.onAccountDeleted ?? [];
    this.crash = options.crash ?? crashHook(undefined);
  }

  /**
   * A new account (its cart empty: the cart's part has defaults of its own), and a link to confirm its address. An address that has an
   * account already gets the same answer, after the same work (the password is hashed either way),
   * and its owner a message instead: nobody learns from signup which addresses have accounts.
   */
  async signUp(email: string, password: string): Promise<void> {
    const passwordHash = await bcrypt.hash(password, this.bcryptRounds);
    if (await this.users.exists({ email })) {
      this.post(this.mail.signupAttempt(email));
      return;
    }
    let user: UserDocument;
    try {
      user = await this.users.create({ email, password: passwordHash });
    } catch (error) {
      // Two signups with one email at the same moment: the unique index decides.
      if (!isDuplicateKey(error, { email: 1 })) throw error;
      this.post(this.mail.signupAttempt(email));
      return;
    }
    await this.sendConfirmation(user);
  }

  /**
   * The account these credentials open, or undefined. An unknown email still costs one bcrypt
   * comparison, so response times don't reveal which accounts exist.
   */
  async authenticate(email: string, password: string): Promise<UserDocument | undefined> {
    const user = await this.users.findOne({ email });
    // An account without a password (made by an OpenID provider) fails like a wrong password, after as much work.
    const matches = await bcrypt.compare(password, user?.password || (await this.hashOfNothing()));
    return user?.password && matches ? user : undefined;
  }

  /** Whether `password` is the shopper's (a comparison in constant time); never for an account without one. */
  async checkPassword(user: UserDocument, password: string): Promise<boolean> {
    const matches = await bcrypt.compare(password, user.password || (await this.hashOfNothing()));
    return Boolean(user.password) && matches;
  }

  /**
   * Sets a new password, once the shopper proved who they are (`FreshAuthentication`: the current
   * password, or a recent login), and ends every session of the shopper: whoever else holds one (a
   * stolen cookie, a forgotten computer) is out. Returns the shopper's new session generation, for
   * the session the caller starts next.
   */
  async changePassword(user: UserDocument, proof: FreshAuthentication, next: string): Promise<number> {
    proof.assertFor(user);
    const password = await bcrypt.hash(next, this.bcryptRounds);
    return this.endSessions(user._id, { password });
  }

  /** Ends every session of the shopper, the one asking included. */
  async logOutEverywhere(user: UserDocument): Promise<void> {
    await this.endSessions(user._id);
  }

  /**
   * Mails a link to choose a new password, valid for one hour and once, when the address has an
   * account; nothing otherwise. The caller answers the same either way, after the same work: this
   * one lookup. The link's writes go with its message, in the background (a failure is logged as
   * a message not sent): awaited only for an account, they made the answer's time tell which
   * addresses have one.
   */
  async requestPasswordReset(email: string): Promise<void> {
    const user = await this.users.findOne({ email }).select('_id email');
    if (!user) return;
    const token = this.tokens.issue(user._id, 'reset-password', user.email);
    this.post(token.then((issued) => this.mail.resetPassword(user.email, issued)));
  }

  /**
   * Whether a reset link is still good (the form is shown only then): live, and made for the address
   * the account still has, as `resetPassword` requires. It is not used up by looking.
   */
  async resetTokenIsValid(token: string): Promise<boolean> {
    const live = await this.tokens.live(token, ['reset-password']);
    return live !== null && (await this.users.exists({ _id: live.userId, email: live.email })) !== null;
  }

  /**
   * Uses a reset link: the new password, every session of the shopper ended, the failed logins
   * forgotten, and the address counted as confirmed (the link reached it). Returns the shopper and
   * their new session generation, or undefined for a link that is unknown, used or expired.
   */
  async resetPassword(
    token: string,
    password: string,
  ): Promise<{ user: UserDocument; generation: number } | undefined> {
    const used = await this.tokens.use(token, ['reset-password']);
    const user = used && (await this.users.findById(used.userId));
    if (!user || user.email !== used.email) return undefined;
    const generation = await this.endSessions(user._id, {
      password: await bcrypt.hash(password, this.bcryptRounds),
      emailVerified: true,
    });
    await this.onPasswordReset?.(user.email);
    return { user, generation };
  }

  /** Mails the shopper a link that confirms their address, valid for 24 hours. */
  async sendConfirmation(user: Pick<UserDocument, '_id' | 'email'>): Promise<void> {
    const token = await this.tokens.issue(user._id, 'verify-email', user.email);
    this.post(this.mail.confirmEmail(user.email, token));
  }

  /**
   * Uses a link mailed to an address: it confirms the shopper's address, or makes a requested new
   * address theirs (and tells the old one).
   */
  async confirmEmail(token: string): Promise<EmailConfirmation> {
    const used = await this.tokens.use(token, ['verify-email', 'change-email']);
    const user = used && (await this.users.findById(used.userId));
    if (!used || !user) return 'invalid';
    if (used.purpose === 'verify-email') {
      // A link to an address the account no longer has confirms nothing.
      if (user.email !== used.email) return 'invalid';
      await this.users.updateOne({ _id: user._id }, { $set: { emailVerified: true } });
      return 'confirmed';
    }
    const oldEmail = user.email;
    try {
      await this.users.updateOne({ _id: user._id }, { $set: { email: used.email, emailVerified: true } });
    } catch (error) {
      if (isDuplicateKey(error, { email: 1 })) return 'address-taken';
      throw error;
    }
    await this.userSessions.rename(user._id.toHexString(), used.email);
    this.post(this.mail.emailChanged(oldEmail, used.email));
    return 'changed';
  }

  /**
   * A new address for the account, once it confirms: a link goes to the new address, a notice to
   * the current one. An address that belongs to another account gets the same answer and nothing
   * is sent: the form tells nobody whose it is.
   */
  async requestEmailChange(
    user: UserDocument,
    proof: FreshAuthentication,
    newEmail: string,
  ): Promise<EmailChangeRequest> {
    proof.assertFor(user);
    if (newEmail === user.email) return 'same-address';
    if (await this.users.exists({ email: newEmail })) return 'sent';
    const token = await this.tokens.issue(user._id, 'change-email', newEmail);
    this.post(this.mail.confirmNewEmail(newEmail, token));
    this.post(this.mail.emailChangeRequested(user.email, newEmail));
    return 'sent';
  }

  /**
   * Deletes the account, once the shopper proved who they are. Another device of the shopper may be writing
   * at this very moment (a product, an order), having passed loadUser just before, so the order
   * of the steps matters:
   *  1. every session ends (the generation first, then the documents): no new request gets in;
   *  2. the User is deleted, with a record of the deletion written first;
   *  3. the other areas clean up after it (`onAccountDeleted`: its products, its orders' email),
   *     then the record goes.
   * A write of the other areas for a shopper checks, after writing, that the User still exists,
   * and undoes itself when it does not: a write whose check came before step 2 is seen by step 3,
   * any later one sees the User gone. A crash before step 3 is done leaves the record, and
   * `finishInterruptedDeletions` (account-deletion.ts) completes the deletion.
   */
  async deleteAccount(user: UserDocument, proof: FreshAuthentication): Promise<void> {
    proof.assertFor(user);
    await this.endSessions(user._id);
    await deleteUser(this.users, user._id, new Date(this.now()));
    this.crash('after-user-deleted');
    await cleanUpAfter(user._id, this.onAccountDeleted);
    this.post(this.mail.accountDeleted(user.email));
  }

  /**
   * Two walls. First the generation moves forward (with any other change, in the same update), so
   * that every existing session is refused by loadUser from now on; then the session documents go.
   * A request of one of them still in flight can neither write it back (the store never upserts a
   * loaded session) nor, if it did come back some other way, use it.
   */
  private async endSessions(userId: Types.ObjectId, changes: Partial<IUser> = {}): Promise<number> {
    const updated = await this.users
      .findOneAndUpdate(
        { _id: userId },
        { $set: changes, $inc: { sessionGeneration: 1 } },
        { returnDocument: 'after', projection: { sessionGeneration: 1 } },
      )
      .lean<Pick<IUser, 'sessionGeneration'>>();
    await this.userSessions.endAll(userId.toHexString());
    return updated?.sessionGeneration ?? 0;
  }

  private post(message: Promise<MailMessage>): void {
    this.mailer.post(message);
  }

  private hashOfNothing(): Promise<string> {
    this.dummyHash ??= bcrypt.hash('no such account', this.bcryptRounds);
    return this.dummyHash;
  }
}
