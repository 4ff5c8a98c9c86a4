import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { securityHeaders } from '../../src/http/middleware/security-headers';
import { WEBAUTHN_BROWSER_URL, webauthnBrowserModules } from '../../src/http/vendor-modules';
import { launchChromium } from '../helpers/browser';
import { addVirtualAuthenticator, type VirtualAuthenticator } from '../helpers/webauthn';

/*
 * The groundwork of passkeys, proven in the real browser: Chromium's virtual authenticator (CDP)
 * creates and uses a discoverable credential on http://localhost, through @simplewebauthn/browser
 * served by src/http/vendor-modules.ts under the shop's CSP, verified by @simplewebauthn/server 13.
 * The server here is a throwaway one, the shop's routes come with the feature (issue 24).
 */

interface StoredPasskey {
  credential: WebAuthnCredential;
  userId: string;
}

const USER = { id: crypto.randomBytes(16).toString('base64url'), email: 'ann@example.com' };
let server: Server;
let origin: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let authenticator: VirtualAuthenticator;
/** What the throwaway server holds: the challenge of the ceremony under way, the passkeys. */
const state: { challenge?: string; passkeys: Map<string, StoredPasskey>; lastUserVerified?: boolean } = {
  passkeys: new Map(),
};
const pageProblems: string[] = [];

function throwawayServer(): express.Express {
  const app = express();
  app.use(securityHeaders({ isProduction: false }));
  app.use(webauthnBrowserModules());
  app.use(express.json({ limit: '20kb' }));
  const rpID = () => new URL(origin).hostname;
  app.get('/', (_req, res) => {
    res
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Passkeys</title>` +
          `<script type="module" src="/passkey-page.mjs"></script></head>` +
          `<body><main data-webauthn-browser="${WEBAUTHN_BROWSER_URL}">` +
          `<button id="add-passkey" type="button">Add a passkey</button>` +
          `<button id="log-in" type="button">Log in with a passkey</button>` +
          `<output id="status">loading</output></main></body></html>`,
      );
  });
  app.get('/favicon.ico', (_req, res) => res.status(204).end());
  app.get('/passkey-page.mjs', (_req, res) => res.sendFile(path.join(__dirname, 'fixtures', 'passkey-page.mjs')));
  const ceremony =
    (handler: (req: Request) => Promise<unknown>) =>
    (req: Request, res: Response): void => {
      handler(req).then(
        (answer) => res.json(answer),
        (error: unknown) => res.status(400).json({ error: error instanceof Error ? error.message : String(error) }),
      );
    };
  app.post(
    '/registration/options',
    ceremony(async () => {
      const options = await generateRegistrationOptions({
        rpName: 'Session Shop',
        rpID: rpID(),
        userName: USER.email,
        userID: Buffer.from(USER.id, 'base64url'),
        attestationType: 'none',
        excludeCredentials: [...state.passkeys.keys()].map((id) => ({ id })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      state.challenge = options.challenge;
      return options;
    }),
  );
  app.post(
    '/registration/verify',
    ceremony(async (req) => {
      const expectedChallenge = takeChallenge();
      const verification = await verifyRegistrationResponse({
        response: req.body as RegistrationResponseJSON,
        expectedChallenge,
        expectedOrigin: origin,
        expectedRPID: rpID(),
        requireUserVerification: true,
      });
      if (!verification.verified) throw new Error('registration not verified');
      const { credential, userVerified } = verification.registrationInfo;
      state.lastUserVerified = userVerified;
      state.passkeys.set(credential.id, { credential, userId: USER.id });
      return { credentialId: credential.id };
    }),
  );
  app.post(
    '/authentication/options',
    ceremony(async () => {
      // No allowCredentials: a discoverable credential, no email typed first.
      const options = await generateAuthenticationOptions({ rpID: rpID(), userVerification: 'required' });
      state.challenge = options.challenge;
      return options;
    }),
  );
  app.post(
    '/authentication/verify',
    ceremony(async (req) => {
      const expectedChallenge = takeChallenge();
      const response = req.body as AuthenticationResponseJSON;
      const passkey = state.passkeys.get(response.id);
      if (passkey === undefined) throw new Error('unknown passkey');
      // The authenticator names the account (the user handle given at registration).
      if (response.response.userHandle !== passkey.userId) throw new Error('passkey of another account');
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: origin,
        expectedRPID: rpID(),
        credential: passkey.credential,
        requireUserVerification: true,
      });
      if (!verification.verified) throw new Error('authentication not verified');
      state.lastUserVerified = verification.authenticationInfo.userVerified;
      passkey.credential.counter = verification.authenticationInfo.newCounter;
      return { email: USER.email };
    }),
  );
  return app;
}

/** A challenge serves one ceremony only. */
function takeChallenge(): string {
  const challenge = state.challenge;
  state.challenge = undefined;
  if (challenge === undefined) throw new Error('no ceremony under way');
  return challenge;
}

async function press(button: string, expected: RegExp): Promise<string> {
  await page.getByRole('button', { name: button }).click();
  const status = page.locator('#status');
  await status.filter({ hasNotText: 'working' }).waitFor();
  const text = (await status.textContent()) ?? '';
  expect(text).toMatch(expected);
  return text;
}

beforeAll(async () => {
  server = throwawayServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  // localhost, not 127.0.0.1: an RP ID must be a domain.
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (error) => pageProblems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageProblems.push(message.text());
  });
  authenticator = await addVirtualAuthenticator(page);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

test('the vendor module loads under the CSP (script-src self) from a versioned, immutable address', async () => {
  const reply = await page.goto(`${origin}/`);
  expect(reply?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const file = await fetch(`${origin}${WEBAUTHN_BROWSER_URL}`);
  expect(file.status).toBe(200);
  expect(file.headers.get('content-type')).toMatch(/^text\/javascript/);
  expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(WEBAUTHN_BROWSER_URL).toMatch(/^\/vendor\/simplewebauthn-browser\/13\.\d+\.\d+\/index\.js$/);
  // Only its modules: not its package.json or type declarations.
  for (const other of ['package.json', 'index.d.ts']) {
    expect((await fetch(`${origin}${WEBAUTHN_BROWSER_URL.replace('index.js', other)}`)).status).toBe(404);
  }
});

test('a discoverable credential is created, user verified, and held by the authenticator', async () => {
  const added = await press('Add a passkey', /^added /);
  const credentialId = added.slice('added '.length);
  expect(state.passkeys.get(credentialId)?.credential.publicKey.length).toBeGreaterThan(0);
  expect(state.lastUserVerified).toBe(true);
  const held = await authenticator.credentials();
  expect(held).toHaveLength(1);
  expect(held[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
  // CDP speaks plain base64, WebAuthn JSON base64url: the same bytes.
  expect(Buffer.from(held[0].credentialId, 'base64').toString('base64url')).toBe(credentialId);
  expect(Buffer.from(held[0].userHandle ?? '', 'base64').toString('base64url')).toBe(USER.id);
});

test('it signs in without an email typed first; each use moves the signature counter on', async () => {
  const [passkey] = state.passkeys.values();
  const before = passkey.credential.counter;
  await press('Log in with a passkey', /^logged in as ann@example\.com$/);
  expect(state.lastUserVerified).toBe(true);
  expect(passkey.credential.counter).toBeGreaterThan(before);
  const after = passkey.credential.counter;
  await press('Log in with a passkey', /^logged in as ann@example\.com$/);
  expect(passkey.credential.counter).toBeGreaterThan(after);
  expect((await authenticator.credentials())[0].signCount).toBe(passkey.credential.counter);
});

test('a counter that goes backwards (a cloned authenticator) is refused by the server library', async () => {
  const [passkey] = state.passkeys.values();
  passkey.credential.counter += 1000;
  await press('Log in with a passkey', /^error: .*counter value \d+ was lower than expected \d+/);
  passkey.credential.counter -= 1000;
});

test('without user verification the ceremony fails (UV required)', async () => {
  await authenticator.setUserVerified(false);
  try {
    // The browser refuses before the server is asked (NotAllowedError).
    await press('Log in with a passkey', /^error: The operation either timed out or was not allowed/);
  } finally {
    await authenticator.setUserVerified(true);
  }
  await press('Log in with a passkey', /^logged in as/);
});

test('nothing on the page broke: no script error, no CSP refusal', () => {
  // The failed ceremonies above answered 400, which Chromium logs as a failed resource.
  expect(pageProblems.filter((problem) => !/status of 400/.test(problem))).toEqual([]);
});
