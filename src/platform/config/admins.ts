import type { EnvReader } from './env';

/**
 * `ADMIN_EMAILS`: the addresses (lower case, each once) whose accounts act for the shop as a
 * whole once the address is confirmed (accounts/admins.ts). Empty: no admin.
 */
export function adminEmailsOf(env: EnvReader): string[] {
  const addresses = (env.text('ADMIN_EMAILS') ?? '')
    .split(',')
    .map((address) => address.trim().toLowerCase())
    .filter((address) => address !== '');
  for (const address of addresses) {
    if (!/^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/.test(address)) {
      env.problem(`ADMIN_EMAILS must be email addresses separated by commas (got "${address}")`);
    }
  }
  return [...new Set(addresses)];
}
