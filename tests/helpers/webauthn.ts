import type { CDPSession, Page } from 'playwright-core';

/**
 * Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain): a passkey device
 * for a page, with no person and no dialog. Defaults: a platform authenticator (CTAP2, transport
 * "internal") that keeps discoverable credentials (resident keys) and verifies its user (the UV
 * flag) at every ceremony, answering at once (automatic presence).
 *
 * It belongs to the page (the CDP target), not the browser context: it survives the page's
 * navigations, but a new page needs its own, and what it holds goes with it (`credentials()` before
 * closing, `addCredential` in another). WebAuthn needs a secure context and an RP ID that is a
 * domain: use http://localhost:PORT (not 127.0.0.1, which no RP ID can name) or https.
 */
export interface VirtualAuthenticator {
  authenticatorId: string;
  cdp: CDPSession;
  /** What it holds: id (base64), isResidentCredential, rpId, userHandle (base64), signCount, privateKey. */
  credentials(): Promise<VirtualCredential[]>;
  /** Whether the next ceremonies find the person verified (false: UV fails, as a wrong fingerprint). */
  setUserVerified(verified: boolean): Promise<void>;
  /** Removes it: the page then has no authenticator (a ceremony waits until it times out). */
  remove(): Promise<void>;
}

export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

export interface VirtualAuthenticatorOptions {
  protocol?: 'ctap2' | 'u2f';
  transport?: 'internal' | 'usb' | 'nfc' | 'ble' | 'hybrid';
  hasResidentKey?: boolean;
  hasUserVerification?: boolean;
  isUserVerified?: boolean;
}

export async function addVirtualAuthenticator(
  page: Page,
  options: VirtualAuthenticatorOptions = {},
): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  // enableUI false: no account chooser, the single matching credential is used.
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: options.protocol ?? 'ctap2',
      transport: options.transport ?? 'internal',
      hasResidentKey: options.hasResidentKey ?? true,
      hasUserVerification: options.hasUserVerification ?? true,
      isUserVerified: options.isUserVerified ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    authenticatorId,
    cdp,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials;
    },
    async setUserVerified(isUserVerified) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}
