import type { Request } from 'express';
import type { UserDocument } from './user.schema';

/**
 * The shop's admins: the accounts whose address is in ADMIN_EMAILS and confirmed (someone who signs
 * up with an admin's address before its owner does never becomes one: they cannot confirm it).
 * Decided from the User that loadUser already has: no read of its own.
 */
export class Admins {
  private readonly emails: ReadonlySet<string>;

  constructor(emails: readonly string[]) {
    this.emails = new Set(emails.map((email) => email.toLowerCase()));
  }

  isAdmin(user: Pick<UserDocument, 'email' | 'emailVerified'> | undefined): boolean {
    return user !== undefined && user.emailVerified === true && this.emails.has(user.email.toLowerCase());
  }

  /** Whether the request's shopper is an admin. */
  isAdminRequest(req: Request): boolean {
    return this.isAdmin(req.user);
  }
}
