import type { Request } from 'express';
import type { SessionUser } from '../sessions/login';
import type { UserDocument } from './user.schema';

/** The logged-in shopper, for handlers mounted behind `requireLogin`. */
export function loggedInUser(req: Request): UserDocument {
  if (!req.user) throw new Error('loggedInUser() used on a route without requireLogin');
  return req.user;
}

/** What the session keeps of a shopper: their id and email, nothing more. */
export function sessionUserFor(user: UserDocument): SessionUser {
  return { _id: user._id.toHexString(), email: user.email };
}
