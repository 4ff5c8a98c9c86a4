import { Schema, type HydratedDocument, type Model } from 'mongoose';

/*
 * The accounts' part of the User: who the shopper is and how they log in. Other areas keep their
 * own part of the same document (the cart's: src/cart/cart.model.ts), each adding its fields and
 * methods to these interfaces (declaration merging) and to `userSchema` (a mongoose plugin).
 * src/user.model.ts compiles the whole into the one User model, which app.ts and server.ts hand
 * to the areas: accounts imports no area above it, and no area writes another's part.
 */

export interface IUser {
  email: string;
  /** A bcrypt hash; never leaves this document (not in sessions, not in views). */
  password: string;
  /**
   * Moves forward whenever every session of the shopper must end (log out everywhere, a password
   * change). A session carries the generation it began in; loadUser refuses any other, so a session
   * document that comes back by any path after that (a write in flight, a restored backup) is dead.
   */
  sessionGeneration: number;
  /** Whether the shopper opened the link mailed to their address (browsing and ordering do not wait for it). */
  emailVerified: boolean;
}

/** The User document's methods: accounts has none of its own; the other areas add theirs. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface IUserMethods {}

export type UserModel = Model<IUser, object, IUserMethods>;
export type UserDocument = HydratedDocument<IUser, IUserMethods>;

/** Not compiled here: src/user.model.ts adds the other areas' parts first (a plugin can't once it is). */
export const userSchema = new Schema<IUser, UserModel, IUserMethods>(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true },
    password: { type: String, required: true },
    sessionGeneration: { type: Number, default: 0 },
    emailVerified: { type: Boolean, default: false },
  },
  { timestamps: true },
);
