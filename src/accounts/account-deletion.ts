import { Schema, Types, model, type Model } from 'mongoose';
import { AccountToken } from './account-token.model';
import { Passkey } from './passkeys/passkey.model';
import type { UserModel } from './user.schema';

/** What another area does once an account is deleted; it may run more than once for one account. */
export type AccountDeletionHook = (userId: Types.ObjectId) => Promise<void>;

/**
 * An account being deleted (Accounts.deleteAccount): written before the User is deleted, removed
 * once the other areas have cleaned up after it. One left behind by a crash in between is
 * finished by `finishInterruptedDeletions`, which every shop process runs (cart/housekeeping.ts).
 */
interface IAccountDeletion {
  /** The deleted User's id. */
  _id: Types.ObjectId;
  at: Date;
}

const accountDeletionSchema = new Schema<IAccountDeletion>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

const AccountDeletion: Model<IAccountDeletion> = model<IAccountDeletion>('AccountDeletion', accountDeletionSchema);

/** Step 2 of a deletion: the record, the User's links and passkeys, the User. */
export async function deleteUser(users: UserModel, userId: Types.ObjectId, at: Date): Promise<void> {
  await AccountDeletion.updateOne({ _id: userId }, { $setOnInsert: { at } }, { upsert: true });
  await AccountToken.deleteMany({ userId });
  await Passkey.deleteMany({ userId });
  await users.deleteOne({ _id: userId });
}

/** Step 3: the other areas clean up after the deleted User, then the record goes. */
export async function cleanUpAfter(userId: Types.ObjectId, hooks: readonly AccountDeletionHook[]): Promise<void> {
  for (const hook of hooks) await hook(userId);
  await AccountDeletion.deleteOne({ _id: userId });
}

/**
 * Finishes the deletions a crash interrupted (their record is still there): the User deleted if
 * it was not yet, then the clean-up. Beside a deletion in progress it does no harm: each step may
 * be repeated, in this order. Returns how many were finished.
 */
export async function finishInterruptedDeletions(
  users: UserModel,
  hooks: readonly AccountDeletionHook[],
): Promise<number> {
  const records = await AccountDeletion.find({}, { _id: 1, at: 1 }).lean<IAccountDeletion[]>();
  for (const { _id: userId, at } of records) {
    await deleteUser(users, userId, at);
    await cleanUpAfter(userId, hooks);
  }
  return records.length;
}
