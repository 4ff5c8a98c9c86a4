import mongoose from 'mongoose';
import { loadConfig } from '../../src/platform/config';
import type { Logger } from '../../src/platform/logger';
import { startTestOidcProvider, type LocalOidcProvider } from './oidc-provider';
import { TEST_SECRET, sessionsCollection, startTestShop, type Agent, type TestShop } from './shop';

/*
 * The shop with sign-in through a real OpenID Provider (tests/helpers/oidc-provider.ts), as a
 * shopper's browser uses it: the shop's redirect, the provider's login, the way back with the
 * browser's own cookies (the sealed state, nonce and verifier).
 */

/** supertest needs no port: only the redirect URI registered at the provider must match. */
export const PUBLIC_URL = 'http://localhost:3000';
export const LABEL = 'Acme ID';

export interface OidcShop {
  shop: TestShop;
  provider: LocalOidcProvider;
  close(): Promise<void>;
}

export async function startOidcShop(
  label: string,
  options: { now?: () => number; logger?: Logger; publicUrl?: string } = {},
) {
  const publicUrl = options.publicUrl ?? PUBLIC_URL;
  const provider = await startTestOidcProvider({ publicUrl });
  const config = loadConfig({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    PUBLIC_URL: publicUrl,
    OIDC_LABEL: LABEL,
    ...provider.shopEnv,
  });
  const shop = await startTestShop(label, {
    now: options.now,
    logger: options.logger,
    config: { accountSecurity: config.accountSecurity, publicUrl: config.publicUrl },
  });
  return {
    shop,
    provider,
    async close() {
      await shop.close();
      await provider.close();
    },
  } satisfies OidcShop;
}

let people = 0;

/** A new person at the provider, with an address of their own (or the one given). */
export function newPerson(
  provider: LocalOidcProvider,
  { email, emailVerified = true }: { email?: string; emailVerified?: boolean } = {},
): { sub: string; email: string } {
  const sub = `person-${++people}-${Date.now()}`;
  const address = email ?? `${sub}@example.com`;
  provider.addAccount({ sub, email: address, emailVerified });
  return { sub, email: address };
}

/** The way to the provider and back: where the shop's start sends the browser, and the callback it comes back to. */
export async function throughProvider(
  provider: LocalOidcProvider,
  agent: Agent,
  sub: string,
  start: () => Promise<{ status: number; headers: Record<string, string> }> = () => agent.get('/login/oidc'),
): Promise<string> {
  const started = await start();
  if (started.status !== 302) throw new Error(`the start answered ${started.status}, not a redirect`);
  const callback = await provider.authorize(started.headers.location, { as: sub });
  return callback.pathname + callback.search;
}

/** "Log in with <label>": start, the provider's login as `sub`, the callback; the callback's answer. */
export async function signInWith(provider: LocalOidcProvider, agent: Agent, sub: string) {
  return agent.get(await throughProvider(provider, agent, sub));
}

/** The linked identities of an account, as stored. */
export async function linksOf(userId: unknown) {
  return mongoose.connection.collection('linked_identities').find({ userId }).toArray();
}

/** Logged-in session documents of this address in MongoDB. */
export async function loggedInSessionsOf(email: string): Promise<number> {
  return sessionsCollection().countDocuments({ 'session.isLoggedIn': true, 'session.user.email': email });
}

/** Whether the browser is logged in: /cart answers a shopper only. */
export async function isLoggedIn(agent: Agent): Promise<boolean> {
  return (await agent.get('/cart')).status === 200;
}
