import { SHOP_NAME } from '../../http/view-helpers';

/** Who the passkeys are for: the shop as WebAuthn names it. */
export interface RelyingParty {
  /** The RP ID: PUBLIC_URL's host name. A passkey made for it works on that host only (and its subdomains, never another site). */
  id: string;
  /** The origin a ceremony must come from: PUBLIC_URL's scheme, host and port. */
  origin: string;
  /** Shown by the authenticator beside the account's name. */
  name: string;
}

/**
 * The relying party from `PUBLIC_URL` (config.publicUrl; `http://localhost:PORT` when unset, which
 * browsers treat as a secure context). Never the request's Host header, which anyone can set.
 */
export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name: SHOP_NAME };
}
