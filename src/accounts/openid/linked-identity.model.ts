import { Schema, Types, model, type Model } from 'mongoose';

/**
 * A person at the OpenID provider linked to a shop account: (issuer, subject) is their stable key
 * at the provider (never the email, which can change hands there), unique across the shop.
 */
export interface ILinkedIdentity {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  /** The provider's issuer identifier (`iss`). */
  issuer: string;
  /** The provider's id of the person (`sub`). */
  subject: string;
  /** The address the provider gave when the link was made: shown on the account page, never used to find it. */
  email?: string;
  /** The provider's label then (OIDC_LABEL). */
  label: string;
  linkedAt: Date;
  lastUsedAt?: Date;
}

const linkedIdentitySchema = new Schema<ILinkedIdentity>(
  {
    // The account page lists a shopper's links, unlinking and deleting the account remove them.
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    issuer: { type: String, required: true },
    subject: { type: String, required: true },
    email: { type: String },
    label: { type: String, required: true },
    linkedAt: { type: Date, required: true },
    lastUsedAt: { type: Date },
  },
  { versionKey: false, collection: 'linked_identities' },
);
// A sign-in's look-up; unique: one person at the provider opens one account, whatever races.
linkedIdentitySchema.index({ issuer: 1, subject: 1 }, { unique: true });

export const LinkedIdentity: Model<ILinkedIdentity> = model<ILinkedIdentity>('LinkedIdentity', linkedIdentitySchema);
