import type { Types, UpdateQuery } from 'mongoose';
import type { Clock } from '../../platform/clock';
import { RecoveryCodes } from '../../platform/crypto/recovery-codes';
import { SecretBox } from '../../platform/crypto/secret-box';
import { checkTotp, newTotpSecret, totpQrCode, totpUri } from '../../platform/crypto/totp';
import { SHOP_NAME } from '../../http/view-helpers';
import { parseObjectId } from '../../http/object-id';
import type { FreshAuthentication } from '../step-up/step-up';
import type { IUser, UserDocument, UserModel } from '../user.schema';

/** What the set-up page shows: the secret as text, the `otpauth://` address and its QR code (a data: URL). */
export interface TwoFactorSetup {
  secret: string;
  uri: string;
  qrCode: string;
}

/** Which kind of code was right: one from the app, or one of the recovery codes (now used up). */
export type CodeKind = 'totp' | 'recovery-code';

export type EnableOutcome =
  { result: 'enabled'; recoveryCodes: string[] } | { result: 'wrong-code' } | { result: 'already-on' };

export interface TwoFactorOptions {
  users: UserModel;
  /** `config.accountSecurity.totpKeys`: without them the second factor is not offered. */
  keys: readonly Buffer[] | undefined;
  now: Clock;
}

const secretContext = (userId: Types.ObjectId) => `totp:${userId.toHexString()}`;
const setupContext = (userId: Types.ObjectId) => `totp-setup:${userId.toHexString()}`;

/**
 * The second factor: TOTP (RFC 6238, what authenticator apps show) with ten recovery codes. The
 * secret is sealed with AES-256-GCM under TOTP_KEY and bound to its account; the recovery codes
 * are kept as keyed hashes. Every code is used in one conditional update, so that two requests
 * with the same code cannot both pass: a TOTP code moves `lastStep` forward only if it is newer
 * (that code and every older one are then refused), a recovery code is `$pull`ed only if present.
 */
export class TwoFactor {
  private readonly users: UserModel;
  private readonly box?: SecretBox;
  private readonly recovery?: RecoveryCodes;
  private readonly now: Clock;

  constructor({ users, keys, now }: TwoFactorOptions) {
    this.users = users;
    this.now = now;
    if (keys && keys.length > 0) {
      this.box = new SecretBox(keys);
      this.recovery = new RecoveryCodes(keys);
    }
  }

  /** Whether shoppers may turn it on: only with TOTP_KEY. */
  get offered(): boolean {
    return this.box !== undefined;
  }

  isOn(user: Pick<IUser, 'twoFactor'>): boolean {
    return typeof user.twoFactor?.secret === 'string';
  }

  recoveryCodesLeft(user: Pick<IUser, 'twoFactor'>): number {
    return user.twoFactor?.recoveryCodes?.length ?? 0;
  }

  /**
   * The secret to add to an app, kept (sealed) on the User until a code from it turns the second
   * factor on: reloading the page shows the same one.
   */
  async setup(user: UserDocument): Promise<TwoFactorSetup> {
    const box = this.sealing();
    let secret: string | undefined;
    if (user.twoFactorSetup !== undefined) {
      try {
        secret = box.open(user.twoFactorSetup, setupContext(user._id));
      } catch {
        // Sealed by a key no longer configured: a new secret replaces it below.
      }
    }
    secret ??= await this.newSetup(user, box);
    const uri = totpUri(secret, { issuer: SHOP_NAME, account: user.email });
    return { secret, uri, qrCode: await totpQrCode(uri) };
  }

  /**
   * Turns the second factor on when `code` is a current code of the secret shown; returns the ten
   * recovery codes to show once (only their hashes are kept). The code used cannot log in again.
   */
  async enable(user: UserDocument, proof: FreshAuthentication, code: string): Promise<EnableOutcome> {
    proof.assertFor(user);
    const box = this.sealing();
    if (this.isOn(user)) return { result: 'already-on' };
    const sealedSetup = user.twoFactorSetup;
    if (sealedSetup === undefined) return { result: 'wrong-code' };
    const secret = box.open(sealedSetup, setupContext(user._id));
    const step = checkTotp(secret, code, { nowMs: this.now() });
    if (step === undefined) return { result: 'wrong-code' };
    const { codes, hashes } = this.codes().generate();
    // The very secret shown, and only if another tab has not turned it on meanwhile.
    const { modifiedCount } = await this.users.updateOne(
      { _id: user._id, twoFactorSetup: sealedSetup, twoFactor: { $exists: false } },
      {
        $set: {
          twoFactor: {
            secret: box.seal(secret, secretContext(user._id)),
            lastStep: step,
            recoveryCodes: hashes,
            enabledAt: new Date(this.now()),
          },
        },
        $unset: { twoFactorSetup: 1 },
      },
    );
    return modifiedCount === 1 ? { result: 'enabled', recoveryCodes: codes } : { result: 'already-on' };
  }

  /** Turns it off with a code (from the app, or a recovery code). Returns whether it was right. */
  async disable(user: UserDocument, proof: FreshAuthentication, code: string): Promise<boolean> {
    proof.assertFor(user);
    return (await this.useCode(user, code, { $unset: { twoFactor: 1 } })) !== undefined;
  }

  /** A new set of ten recovery codes in place of the old (which stop working): shown once. */
  async regenerateRecoveryCodes(user: UserDocument, proof: FreshAuthentication): Promise<string[] | undefined> {
    proof.assertFor(user);
    const { codes, hashes } = this.codes().generate();
    const { modifiedCount } = await this.users.updateOne(
      { _id: user._id, twoFactor: { $exists: true } },
      { $set: { 'twoFactor.recoveryCodes': hashes } },
    );
    return modifiedCount === 1 ? codes : undefined;
  }

  /** The account a pending second step is for (its User read afresh: the step holds only its id). */
  async accountFor(userId: string): Promise<UserDocument | null> {
    const id = parseObjectId(userId);
    return id ? this.users.findById(id) : null;
  }

  /**
   * The second step of a login: whether `code` is right for the account, used up in the same
   * update (a TOTP code and every older one; a recovery code for good). Undefined when wrong,
   * replayed, or beaten to it by a parallel request with the same code.
   */
  verifyLogin(user: UserDocument, code: string): Promise<CodeKind | undefined> {
    return this.useCode(user, code);
  }

  /**
   * Uses a code in one conditional update: `turnOff` in its place (disable), else the code's own
   * (lastStep forward, or the recovery code pulled). A secret sealed by an old key is sealed again
   * by the current one on the way.
   */
  private async useCode(
    user: UserDocument,
    input: string,
    turnOff?: UpdateQuery<IUser>,
  ): Promise<CodeKind | undefined> {
    const state = user.twoFactor;
    if (!state || !this.isOn(user)) return undefined;
    const box = this.sealing();
    if (/^\d{6}$/.test(input.replace(/\s/g, ''))) {
      // A key that cannot open it (removed from TOTP_KEY) is an operator's error: it throws, nobody passes.
      const secret = box.open(state.secret, secretContext(user._id));
      const step = checkTotp(secret, input, { nowMs: this.now(), lastStep: state.lastStep });
      if (step === undefined) return undefined;
      const resealed = box.isCurrent(state.secret)
        ? {}
        : { 'twoFactor.secret': box.seal(secret, secretContext(user._id)) };
      const { modifiedCount } = await this.users.updateOne(
        { _id: user._id, 'twoFactor.lastStep': { $lt: step } },
        turnOff ?? { $set: { 'twoFactor.lastStep': step, ...resealed } },
      );
      return modifiedCount === 1 ? 'totp' : undefined;
    }
    const candidates = this.codes().candidates(input);
    if (candidates.length === 0) return undefined;
    const { modifiedCount } = await this.users.updateOne(
      { _id: user._id, 'twoFactor.recoveryCodes': { $in: candidates } },
      turnOff ?? { $pull: { 'twoFactor.recoveryCodes': { $in: candidates } } },
    );
    return modifiedCount === 1 ? 'recovery-code' : undefined;
  }

  /** A new set-up secret, unless another request stored one first (then that one). */
  private async newSetup(user: UserDocument, box: SecretBox): Promise<string> {
    const secret = newTotpSecret();
    const sealed = box.seal(secret, setupContext(user._id));
    const replaced = user.twoFactorSetup;
    const { modifiedCount } = await this.users.updateOne(
      { _id: user._id, twoFactorSetup: replaced === undefined ? { $exists: false } : replaced },
      { $set: { twoFactorSetup: sealed } },
    );
    if (modifiedCount === 1) return secret;
    const stored = await this.users.findById(user._id).select('twoFactorSetup').lean<Pick<IUser, 'twoFactorSetup'>>();
    return stored?.twoFactorSetup === undefined ? secret : box.open(stored.twoFactorSetup, setupContext(user._id));
  }

  private sealing(): SecretBox {
    if (!this.box) throw new Error('the second factor needs TOTP_KEY');
    return this.box;
  }

  private codes(): RecoveryCodes {
    if (!this.recovery) throw new Error('the second factor needs TOTP_KEY');
    return this.recovery;
  }
}
