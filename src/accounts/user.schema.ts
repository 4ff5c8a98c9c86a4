import { Schema, type HydratedDocument, type Model } from 'mongoose';

/*
 * The accounts' part of the User: who the shopper is and how they log in. Other areas keep their
 * own part of the same document (the cart's: src/cart/cart.model.ts), each adding its fields and
 * methods to these interfaces (declaration merging) and to `userSchema` (a mongoose plugin).
 * src/user.model.ts compiles the whole into the one User model, which app.ts and server.ts hand
 * to the areas: accounts imports no area above it, and no area writes another's part.
 */

/** A second factor that is on: TOTP (RFC 6238) with its recovery codes (accounts/two-factor/). */
export interface TwoFactorState {
  /** The TOTP secret sealed by `SecretBox` (AES-256-GCM under TOTP_KEY, context `totp:<user id>`): never in clear. */
  secret: string;
  /** The time step of the last code accepted: that code and every older one are refused (no replay). */
  lastStep: number;
  /** The recovery codes not used yet, as keyed hashes (`RecoveryCodes`); a code used is pulled. */
  recoveryCodes: string[];
  enabledAt: Date;
}

/** A browser and system the shopper logged in from: a keyed hash of their names, never the names (accounts/login/). */
export interface KnownDevice {
  key: string;
  seenAt: Date;
}

export interface IUser {
  email: string;
  /**
   * A bcrypt hash; never leaves this document (not in sessions, not in views). Absent for an
   * account an OpenID provider made (accounts/openid/): it logs in there until the shopper sets
   * one through the reset link.
   */
  password?: string;
  /**
   * Moves forward whenever every session of the shopper must end (log out everywhere, a password
   * change). A session carries the generation it began in; loadUser refuses any other, so a session
   * document that comes back by any path after that (a write in flight, a restored backup) is dead.
   */
  sessionGeneration: number;
  /** Whether the shopper opened the link mailed to their address (browsing and ordering do not wait for it). */
  emailVerified: boolean;
  /** The second factor, when it is on. */
  twoFactor?: TwoFactorState;
  /**
   * The secret the set-up page shows, sealed (context `totp-setup:<user id>`), until a code from it
   * turns the second factor on; it stays the same across reloads of the page, for the app that scanned it.
   */
  twoFactorSetup?: string;
  /** The browsers and systems the shopper logs in from, most recently seen last; a new one is mailed about. */
  knownDevices: KnownDevice[];
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
    password: { type: String },
    sessionGeneration: { type: Number, default: 0 },
    emailVerified: { type: Boolean, default: false },
    // Every query of these goes by the User's _id: they need no index of their own.
    twoFactor: {
      type: new Schema<TwoFactorState>(
        {
          secret: { type: String, required: true },
          lastStep: { type: Number, required: true },
          recoveryCodes: { type: [String], default: [] },
          enabledAt: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
    twoFactorSetup: { type: String },
    knownDevices: {
      type: [new Schema<KnownDevice>({ key: { type: String, required: true }, seenAt: Date }, { _id: false })],
      default: [],
    },
  },
  { timestamps: true },
);
