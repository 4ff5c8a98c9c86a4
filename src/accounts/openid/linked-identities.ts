import type { Types } from 'mongoose';
import type { Clock } from '../../platform/clock';
import { isDuplicateKey } from '../../platform/database/duplicate-key';
import type { FreshAuthentication } from '../step-up/step-up';
import { hasPassword } from '../step-up/step-up';
import type { UserDocument, UserModel } from '../user.schema';
import { LinkedIdentity, type ILinkedIdentity } from './linked-identity.model';
import type { ProviderIdentity } from './openid-connect';

/** What the account pages show of a link: never the subject, which is the provider's id of the person. */
export interface LinkedIdentityView {
  id: string;
  label: string;
  email?: string;
  linkedAt: Date;
  lastUsedAt?: Date;
}

/** Where a provider's sign-in leads (accounts/openid/README in docs/security.md). */
export type SignInOutcome =
  /** The person is linked to this account. */
  | { kind: 'linked'; user: UserDocument }
  /** A new account, made from the address the provider vouched for: no password. */
  | { kind: 'created'; user: UserDocument }
  /** The address has an account already: never taken over, its password links it. */
  | { kind: 'needs-link'; email: string }
  /** Not linked, and the provider did not vouch for an address. */
  | { kind: 'unvouched' };

export type LinkResult = 'linked' | 'already-yours' | 'taken';
export type UnlinkResult = 'unlinked' | 'last-way-in' | 'not-found';

/** A usable address from a provider: its own word, within what the shop's forms accept. */
function addressOf(identity: ProviderIdentity): string | undefined {
  const email = identity.email?.trim().toLowerCase();
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (email === undefined || email.length > 254 || !/^[^@\s\u0000-\u001f]+@[^@\s\u0000-\u001f]+$/.test(email))
    return undefined;
  return email;
}

/**
 * The shoppers' links to the OpenID provider (`linked_identities`), and the accounts a provider's
 * word makes: this service alone writes them. A person at the provider is found by (issuer,
 * subject), never by email: an address can change hands at the provider, a subject cannot.
 */
export class LinkedIdentities {
  private readonly users: UserModel;
  private readonly now: Clock;
  private readonly label: string;

  /** Whether the account has a way in besides its password and its links (a passkey). */
  private readonly hasOtherWayIn: (userId: Types.ObjectId) => Promise<boolean>;

  constructor(options: {
    users: UserModel;
    now: Clock;
    label: string;
    hasOtherWayIn?: (userId: Types.ObjectId) => Promise<boolean>;
  }) {
    this.hasOtherWayIn = options.hasOtherWayIn ?? (() => Promise.resolve(false));
    this.users = options.users;
    this.now = options.now;
    this.label = options.label;
  }

  /** What a callback of a login leads to; the caller logs the user in, or asks for the password, or refuses. */
  async signIn(identity: ProviderIdentity): Promise<SignInOutcome> {
    const user = await this.userFor(identity);
    if (user) return { kind: 'linked', user };
    const email = addressOf(identity);
    if (email === undefined || !identity.emailVerified) return { kind: 'unvouched' };
    if (await this.users.exists({ email })) return { kind: 'needs-link', email };
    let created: UserDocument;
    try {
      created = await this.users.create({ email, emailVerified: true });
    } catch (error) {
      // A signup with that address at the same moment: the unique index decided, and it is theirs.
      if (isDuplicateKey(error, { email: 1 })) return { kind: 'needs-link', email };
      throw error;
    }
    const linked = await this.link(created, identity);
    if (linked === 'taken') {
      // The same person's other callback won the race: this new account is not needed.
      await this.users.deleteOne({ _id: created._id });
      const user = await this.userFor(identity);
      return user ? { kind: 'linked', user } : { kind: 'unvouched' };
    }
    return { kind: 'created', user: created };
  }

  /** The account this person is linked to (its last use noted), or undefined. */
  async userFor(identity: Pick<ProviderIdentity, 'issuer' | 'subject'>): Promise<UserDocument | undefined> {
    const link = await LinkedIdentity.findOneAndUpdate(
      { issuer: identity.issuer, subject: identity.subject },
      { $set: { lastUsedAt: new Date(this.now()) } },
      { projection: { userId: 1 } },
    ).lean<Pick<ILinkedIdentity, '_id' | 'userId'>>();
    if (!link) return undefined;
    const user = await this.users.findById(link.userId);
    if (user) return user;
    // The account is being deleted (its links go after it): nobody is linked any more.
    await LinkedIdentity.deleteOne({ _id: link._id });
    return undefined;
  }

  /** Links the person to the account: one whose password was just checked, or the logged-in shopper's. */
  async link(user: Pick<UserDocument, '_id'>, identity: ProviderIdentity): Promise<LinkResult> {
    try {
      await LinkedIdentity.create({
        userId: user._id,
        issuer: identity.issuer,
        subject: identity.subject,
        email: addressOf(identity),
        label: this.label,
        linkedAt: new Date(this.now()),
      });
      return 'linked';
    } catch (error) {
      if (!isDuplicateKey(error, { issuer: 1, subject: 1 })) throw error;
      const existing = await LinkedIdentity.exists({
        issuer: identity.issuer,
        subject: identity.subject,
        userId: user._id,
      });
      return existing ? 'already-yours' : 'taken';
    }
  }

  /** Whether this person at the provider is linked to this account. */
  async isLinkedTo(user: Pick<UserDocument, '_id'>, identity: ProviderIdentity): Promise<boolean> {
    return (
      (await LinkedIdentity.exists({ issuer: identity.issuer, subject: identity.subject, userId: user._id })) !== null
    );
  }

  async hasAny(userId: Types.ObjectId): Promise<boolean> {
    return (await LinkedIdentity.exists({ userId })) !== null;
  }

  async listFor(userId: Types.ObjectId): Promise<LinkedIdentityView[]> {
    const links = await LinkedIdentity.find({ userId }).sort({ linkedAt: 1 }).lean<ILinkedIdentity[]>();
    return links.map((link) => ({
      id: link._id.toHexString(),
      label: link.label,
      email: link.email,
      linkedAt: link.linkedAt,
      lastUsedAt: link.lastUsedAt,
    }));
  }

  /**
   * Removes a link, once the shopper proved who they are; never the last way into the account (no
   * password, passkey or other link: the shopper sets a password first, through the reset link).
   */
  async unlink(user: UserDocument, proof: FreshAuthentication, linkId: Types.ObjectId): Promise<UnlinkResult> {
    proof.assertFor(user);
    if (!(await LinkedIdentity.exists({ _id: linkId, userId: user._id }))) return 'not-found';
    const lastLink = (await LinkedIdentity.countDocuments({ userId: user._id })) <= 1;
    if (lastLink && !hasPassword(user) && !(await this.hasOtherWayIn(user._id))) return 'last-way-in';
    await LinkedIdentity.deleteOne({ _id: linkId, userId: user._id });
    return 'unlinked';
  }

  /** An account deleted: its links go (Accounts' `onAccountDeleted`; may run more than once). */
  async forget(userId: Types.ObjectId): Promise<void> {
    await LinkedIdentity.deleteMany({ userId });
  }
}
