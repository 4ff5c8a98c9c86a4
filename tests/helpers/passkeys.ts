import type { Express } from 'express';
import request, { type Response } from 'supertest';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Types } from 'mongoose';
import { User } from '../../src/user.model';
import { formCsrfTokenIn, newShopper, type Agent, type Shopper, type TestShop } from './shop';
import { SoftwareAuthenticator, type SoftwareCredential, type CeremonyOverrides } from './passkey-authenticator';

/*
 * The passkey ceremonies as the shop's pages run them (public/js/passkeys.mjs), with a software
 * authenticator (passkey-authenticator.ts) in place of the browser's: JSON, the CSRF token in the
 * x-csrf-token header, the challenge in the agent's cookie jar.
 */

export function postJson(agent: Agent, path: string, token: string | undefined, body: unknown) {
  const post = agent.post(path).set('Accept', 'application/json');
  return (token === undefined ? post : post.set('x-csrf-token', token)).send(body as object);
}

/** A registration's options for the shopper (`fields`: the name, the current password). */
export async function addOptions(
  shopper: Shopper,
  fields: { name?: unknown; currentPassword?: string } = { name: 'Laptop' },
): Promise<Response> {
  return postJson(shopper.agent, '/account/passkeys/options', shopper.csrf, fields);
}

/** Adds a passkey named `name` from `authenticator`, as the page does; expects success. */
export async function addPasskey(
  shopper: Shopper,
  authenticator: SoftwareAuthenticator,
  name = 'Laptop',
  overrides: CeremonyOverrides = {},
): Promise<Response> {
  const options = await addOptions(shopper, { name });
  if (options.status !== 200) throw new Error(`registration options: ${options.status} ${options.text}`);
  const response = authenticator.register(options.body as PublicKeyCredentialCreationOptionsJSON, overrides);
  return postJson(shopper.agent, '/account/passkeys', shopper.csrf, { name, response });
}

export interface LoginAttempt {
  /** The login page's (visitor's) CSRF token. */
  token: string;
  options: PublicKeyCredentialRequestOptionsJSON;
  /** The options' answer (its Set-Cookie carries the challenge). */
  optionsResponse: Response;
}

/** Opens the login page and asks for a passkey login's options, as the page's button does. */
export async function startPasskeyLogin(agent: Agent): Promise<LoginAttempt> {
  const page = await agent.get('/login').expect(200);
  const token = formCsrfTokenIn(page.text, '/login');
  const optionsResponse = await postJson(agent, '/login/passkey/options', token, {}).expect(200);
  return { token, options: optionsResponse.body as PublicKeyCredentialRequestOptionsJSON, optionsResponse };
}

/** A whole passkey login with `authenticator` (its first credential, unless told): the verify answer. */
export async function logInWithPasskey(
  agent: Agent,
  authenticator: SoftwareAuthenticator,
  credential?: SoftwareCredential,
  overrides: CeremonyOverrides = {},
  returnTo?: string,
): Promise<Response> {
  const { token, options } = await startPasskeyLogin(agent);
  const response = authenticator.authenticate(options, credential ?? authenticator.credentials[0], overrides);
  return postJson(agent, '/login/passkey', token, { ...response, returnTo });
}

export function visitor(app: Express): Agent {
  return request.agent(app);
}

/** PUBLIC_URL's origin: the one the shop expects ceremonies from (http://localhost:PORT in tests). */
export function shopOrigin(shop: Pick<TestShop, 'config'>): string {
  return new URL(shop.config.publicUrl).origin;
}

/** A new shopper with one passkey ("Laptop") from a software authenticator of their own. */
export async function shopperWithPasskey(
  shop: Pick<TestShop, 'app' | 'config'>,
  name: string,
): Promise<{ shopper: Shopper; authenticator: SoftwareAuthenticator }> {
  const shopper = await newShopper(shop.app, name);
  const authenticator = new SoftwareAuthenticator(shopOrigin(shop));
  const added = await addPasskey(shopper, authenticator, 'Laptop');
  if (added.status !== 200) throw new Error(`adding a passkey: ${added.status} ${added.text}`);
  return { shopper, authenticator };
}

export async function userIdOf(email: string): Promise<Types.ObjectId> {
  const user = await User.findOne({ email }, { _id: 1 }).lean();
  if (!user) throw new Error(`no user ${email}`);
  return user._id;
}
