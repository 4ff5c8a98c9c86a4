import crypto from 'node:crypto';
import { Schema, Types, model, type Model } from 'mongoose';

/** What a token in a link is good for. */
export type TokenPurpose = 'reset-password' | 'verify-email' | 'change-email';

export interface IAccountToken {
  /** The SHA-256 of the token, in hex: the token itself is only ever in the link that was mailed. */
  _id: string;
  userId: Types.ObjectId;
  purpose: TokenPurpose;
  /** The address the link was sent to: the one to confirm, or the new one of an email change. */
  email: string;
  /** A TTL index removes it then; reading checks the time too (the TTL pass runs once a minute). */
  expiresAt: Date;
}

const accountTokenSchema = new Schema<IAccountToken>(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    purpose: { type: String, required: true, enum: ['reset-password', 'verify-email', 'change-email'] },
    email: { type: String, required: true },
    expiresAt: { type: Date, required: true, expires: 0 },
  },
  { versionKey: false },
);

export const AccountToken: Model<IAccountToken> = model<IAccountToken>('AccountToken', accountTokenSchema);

/** 256 random bits, in a form that fits a URL. */
export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** A token as it can come from a URL or a form: 43 URL-safe base64 characters, or nothing. */
export function wellFormedToken(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}
