import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Types } from 'mongoose';
import type { Clock } from '../../platform/clock';
import { isDuplicateKey } from '../../platform/database/duplicate-key';
import type { FreshAuthentication } from '../step-up/step-up';
import type { UserDocument, UserModel } from '../user.schema';
import { Passkey, type IPasskey } from './passkey.model';
import type { RelyingParty } from './relying-party';

/** A shopper may keep this many passkeys: enough for every device, not a store for anyone's junk. */
export const MAX_PASSKEYS = 20;

/** What the passkeys page shows of one. */
export type PasskeySummary = Pick<IPasskey, '_id' | 'name' | 'createdAt' | 'lastUsedAt'>;

export type AddResult =
  { ok: true; passkey: PasskeySummary } | { ok: false; reason: 'not-verified' | 'already-added' | 'too-many' };

/**
 * Why a passkey did not log in: not one of the shop's, or not the account it names; the
 * signature, origin, RP ID or user verification wrong; or a signature counter that did not move
 * forward (the sign of a copied authenticator, which the caller logs as a security event).
 */
export type PasskeyRefusal = 'unknown-passkey' | 'not-verified' | 'counter-went-back';

export type VerifyResult =
  | { ok: true; user: UserDocument; passkey: PasskeySummary }
  /** `userId`: the account of a passkey whose signature was good (a counter gone back). */
  | { ok: false; reason: PasskeyRefusal; userId?: string };

/** The WebAuthn user handle of an account: its id's 12 bytes (opaque, no email or name in it). */
function userHandleOf(userId: Types.ObjectId): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.toHexString(), 'hex'));
}

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): a shopper's list, adding one (a registration
 * verified against the shop's origin and RP ID, user verification required, discoverable), a
 * login with one (which counts as both factors: something held, the authenticator, and something
 * known or been, its PIN or biometric), removing one, and forgetting them all with the account.
 * Adding and removing take a `FreshAuthentication` (step-up/): they change how the account is
 * protected.
 */
export class Passkeys {
  constructor(
    private readonly options: {
      users: UserModel;
      relyingParty: RelyingParty;
      now: Clock;
    },
  ) {}

  list(userId: Types.ObjectId): Promise<PasskeySummary[]> {
    return Passkey.find({ userId }, { name: 1, createdAt: 1, lastUsedAt: 1 })
      .sort({ createdAt: 1 })
      .lean<PasskeySummary[]>();
  }

  async has(userId: Types.ObjectId): Promise<boolean> {
    return (await Passkey.exists({ userId })) !== null;
  }

  /** The options of a registration: the passkeys the shopper has are excluded (no second copy on one authenticator). */
  async registrationOptions(user: UserDocument): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { relyingParty } = this.options;
    const existing = await Passkey.find({ userId: user._id }, { credentialId: 1, transports: 1 }).lean();
    return generateRegistrationOptions({
      rpName: relyingParty.name,
      rpID: relyingParty.id,
      userName: user.email,
      userID: userHandleOf(user._id),
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
      // Discoverable (a login needs no email first), and the person verified: a passkey is both factors.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  /** Verifies a registration answering `challenge` and keeps the passkey under `name`. */
  async add(
    user: UserDocument,
    proof: FreshAuthentication,
    response: RegistrationResponseJSON,
    challenge: string,
    name: string,
  ): Promise<AddResult> {
    proof.assertFor(user);
    if ((await Passkey.countDocuments({ userId: user._id })) >= MAX_PASSKEYS) return { ok: false, reason: 'too-many' };
    const { relyingParty } = this.options;
    let credential;
    try {
      const verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: relyingParty.origin,
        expectedRPID: relyingParty.id,
        requireUserVerification: true,
      });
      if (!verification.verified) return { ok: false, reason: 'not-verified' };
      credential = verification.registrationInfo.credential;
    } catch {
      // The library throws on anything it does not accept: a hostile or broken response, not a fault of ours.
      return { ok: false, reason: 'not-verified' };
    }
    const createdAt = new Date(this.options.now());
    try {
      const passkey = await Passkey.create({
        userId: user._id,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey),
        counter: credential.counter,
        transports: response.response.transports ?? [],
        name,
        createdAt,
      });
      return { ok: true, passkey: { _id: passkey._id, name, createdAt } };
    } catch (error) {
      if (isDuplicateKey(error)) return { ok: false, reason: 'already-added' };
      throw error;
    }
  }

  /**
   * The options of a login. Without `user`: any passkey of the shop (discoverable credentials: the
   * authenticator offers its own, no email typed first); with one (confirming who a logged-in
   * shopper is): only theirs.
   */
  async authenticationOptions(user?: UserDocument): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allowCredentials =
      user === undefined
        ? undefined
        : (await Passkey.find({ userId: user._id }, { credentialId: 1, transports: 1 }).lean()).map((passkey) => ({
            id: passkey.credentialId,
            transports: passkey.transports,
          }));
    return generateAuthenticationOptions({
      rpID: this.options.relyingParty.id,
      userVerification: 'required',
      allowCredentials,
    });
  }

  /**
   * Verifies a login's response answering `challenge`: the passkey must be the shop's (and
   * `onlyFor`'s, when given), name its own account, come from the shop's origin and RP ID with the
   * person verified, be signed by its key, and move its signature counter forward (or keep none).
   */
  async verify(
    response: AuthenticationResponseJSON,
    challenge: string,
    onlyFor?: Types.ObjectId,
  ): Promise<VerifyResult> {
    // A document, not lean: its public key then is a Buffer (lean gives BSON's Binary).
    const passkey = await Passkey.findOne({ credentialId: response.id });
    if (passkey === null || (onlyFor !== undefined && !passkey.userId.equals(onlyFor)))
      return { ok: false, reason: 'unknown-passkey' };
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url'))
      return { ok: false, reason: 'unknown-passkey' };
    const { relyingParty } = this.options;
    let newCounter: number;
    try {
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: relyingParty.origin,
        expectedRPID: relyingParty.id,
        // The counter is checked below, once the signature is known to be good: the library checks
        // it before the signature, and a forged response must not pass for a copied authenticator.
        credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: 0 },
        requireUserVerification: true,
      });
      if (!verification.verified) return { ok: false, reason: 'not-verified' };
      newCounter = verification.authenticationInfo.newCounter;
    } catch {
      return { ok: false, reason: 'not-verified' };
    }
    const userId = passkey.userId.toHexString();
    if ((newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter)
      return { ok: false, reason: 'counter-went-back', userId };
    // One conditional update: of two uses with one counter value (a copy racing the original), one passes.
    const moved = await Passkey.updateOne(
      newCounter > 0 ? { _id: passkey._id, counter: { $lt: newCounter } } : { _id: passkey._id },
      { $set: { counter: newCounter, lastUsedAt: new Date(this.options.now()) } },
    );
    if (moved.matchedCount === 0)
      return newCounter > 0
        ? { ok: false, reason: 'counter-went-back', userId }
        : { ok: false, reason: 'unknown-passkey' };
    const user = await this.options.users.findById(passkey.userId);
    if (user === null) return { ok: false, reason: 'unknown-passkey' };
    return { ok: true, user, passkey: { _id: passkey._id, name: passkey.name, createdAt: passkey.createdAt } };
  }

  /** Removes one of the shopper's passkeys; undefined when it is not theirs (or gone already). */
  async remove(
    user: UserDocument,
    proof: FreshAuthentication,
    passkeyId: Types.ObjectId,
  ): Promise<PasskeySummary | undefined> {
    proof.assertFor(user);
    const removed = await Passkey.findOneAndDelete({ _id: passkeyId, userId: user._id }).lean();
    return removed === null ? undefined : { _id: removed._id, name: removed.name, createdAt: removed.createdAt };
  }
}
