import type { Types } from 'mongoose';
import type { Clock } from '../platform/clock';
import { AccountToken, newToken, tokenHash, type TokenPurpose } from './account-token.model';

const HOUR = 60 * 60 * 1000;

/** How long a link mailed for each purpose works. */
const LIFETIME_MS: Record<TokenPurpose, number> = {
  'reset-password': HOUR,
  'verify-email': 24 * HOUR,
  'change-email': 24 * HOUR,
};

/**
 * The links mailed to a shopper (reset a password, confirm an address): each a random token of
 * which only the hash is stored, valid once and for a while. Accounts decides what a link does.
 */
export class AccountTokens {
  constructor(private readonly now: Clock) {}

  /** A new link of this purpose for the shopper; the ones sent before for the same purpose stop working. */
  async issue(userId: Types.ObjectId, purpose: TokenPurpose, email: string): Promise<string> {
    const token = newToken();
    await AccountToken.deleteMany({ userId, purpose });
    await AccountToken.create({
      _id: tokenHash(token),
      userId,
      purpose,
      email,
      expiresAt: new Date(this.now() + LIFETIME_MS[purpose]),
    });
    return token;
  }

  /** The token's record while it is good for one of `purposes`, without using it up. */
  live(token: string, purposes: TokenPurpose[]) {
    return AccountToken.findOne(this.liveFilter(token, purposes)).lean();
  }

  /** Takes a token out in one step: two requests with the same link cannot both use it. */
  use(token: string, purposes: TokenPurpose[]) {
    return AccountToken.findOneAndDelete(this.liveFilter(token, purposes)).lean();
  }

  private liveFilter(token: string, purposes: TokenPurpose[]) {
    return { _id: tokenHash(token), purpose: { $in: purposes }, expiresAt: { $gt: new Date(this.now()) } };
  }
}
