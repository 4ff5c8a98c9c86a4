import { Schema, Types, model, type Model } from 'mongoose';

/** A transport a browser may try to reach the authenticator by (WebAuthn's AuthenticatorTransport). */
export const PASSKEY_TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;
export type PasskeyTransport = (typeof PASSKEY_TRANSPORTS)[number];

/**
 * A shopper's passkey (a WebAuthn credential): its id as the authenticator names it, its public
 * key, the signature counter last seen, and the name the shopper gave it. Never a private key:
 * that stays in the authenticator.
 */
export interface IPasskey {
  _id: Types.ObjectId;
  /** Every passkey of a shopper: the passkeys page, registration's excludeCredentials, deletion. */
  userId: Types.ObjectId;
  /** base64url, as WebAuthn's JSON carries it; a login looks the passkey up by it. */
  credentialId: string;
  /** The COSE public key the authenticator made at registration. */
  publicKey: Buffer;
  /** The authenticator's signature counter last accepted (0: it keeps none). */
  counter: number;
  transports: PasskeyTransport[];
  name: string;
  createdAt: Date;
  lastUsedAt?: Date;
}

const passkeySchema = new Schema<IPasskey>(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    credentialId: { type: String, required: true, unique: true },
    publicKey: { type: Buffer, required: true },
    counter: { type: Number, required: true, min: 0 },
    transports: { type: [String], enum: PASSKEY_TRANSPORTS, default: [] },
    name: { type: String, required: true },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date },
  },
  { versionKey: false },
);

export const Passkey: Model<IPasskey> = model<IPasskey>('Passkey', passkeySchema);

/**
 * A challenge a ceremony has used (by its SHA-256): a response carrying it again is refused, even
 * from a browser that kept the challenge's cookie. A TTL index removes it once the cookie it came
 * in could no longer be accepted anyway.
 */
export interface IUsedPasskeyChallenge {
  _id: string;
  expiresAt: Date;
}

const usedChallengeSchema = new Schema<IUsedPasskeyChallenge>(
  {
    _id: { type: String, required: true },
    expiresAt: { type: Date, required: true, expires: 0 },
  },
  { versionKey: false },
);

export const UsedPasskeyChallenge: Model<IUsedPasskeyChallenge> = model<IUsedPasskeyChallenge>(
  'UsedPasskeyChallenge',
  usedChallengeSchema,
  'passkeychallenges',
);
