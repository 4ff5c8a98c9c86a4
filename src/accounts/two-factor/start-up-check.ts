import type { UserModel } from '../user.schema';

/**
 * Whether the shop may start with the TOTP_KEY it has. Without one (production, unset) no second
 * factor can be checked, and an account that has one must not fall back to its password alone:
 * the shop refuses to start while any account has a sealed secret, and says how to fix it. Runs
 * once at start-up, only when the key is missing (one query over the users, no index needed).
 * Returns the problem, or undefined.
 */
export async function secondFactorKeyProblem(
  users: Pick<UserModel, 'exists'>,
  keys: readonly Buffer[] | undefined,
): Promise<string | undefined> {
  if (keys && keys.length > 0) return undefined;
  if ((await users.exists({ 'twoFactor.secret': { $exists: true } })) === null) return undefined;
  return (
    'TOTP_KEY is not set, but accounts have two-factor authentication on: without the key their codes ' +
    'cannot be checked, and they must not log in with a password alone. Set TOTP_KEY to the key their ' +
    'secrets were sealed with (a list keeps old keys working).'
  );
}
