import Bowser from 'bowser';
import type { SessionData } from 'express-session';
import type { SessionReferences } from '../sessions/session-references';

/** One of the shopper's live sessions, as their list of devices shows it. */
export interface Device {
  /** The session's reference in the revoke form: a keyed hash, never the session id. */
  reference: string;
  current: boolean;
  browser: string;
  address: string;
  since?: Date;
  lastSeen?: Date;
}

/** "Firefox 128 on Linux", "Safari on iOS 17", or "An unknown browser". */
export function describeUserAgent(userAgent: string | undefined): string {
  if (!userAgent) return 'An unknown browser';
  const { browser, os } = Bowser.parse(userAgent);
  const name = browser.name ? [browser.name, browser.version?.split('.')[0]].filter(Boolean).join(' ') : 'A browser';
  const system = os.name ? [os.name, os.versionName ?? os.version?.split('.')[0]].filter(Boolean).join(' ') : '';
  return system ? `${name} on ${system}` : name;
}

/** The address, shortened to its network: 203.0.113.x, 2001:db8:85a3::… (enough to recognize, not to locate). */
export function shortAddress(address: string | undefined): string {
  if (!address) return 'an unknown address';
  const ipv4 = /^(?:::ffff:)?(\d+\.\d+\.\d+)\.\d+$/.exec(address);
  if (ipv4) return `${ipv4[1]}.x`;
  if (address.includes(':')) return `${address.split(':').slice(0, 3).join(':')}::…`;
  return 'an unknown address';
}

export function deviceOf(
  session: { id: string; session: SessionData },
  currentSessionId: string,
  references: SessionReferences,
): Device {
  const { loggedInAt, touchedAt, device } = session.session;
  return {
    reference: references.of(session.id),
    current: session.id === currentSessionId,
    browser: describeUserAgent(device?.userAgent),
    address: shortAddress(device?.address),
    since: typeof loggedInAt === 'number' ? new Date(loggedInAt) : undefined,
    lastSeen: typeof touchedAt === 'number' ? new Date(touchedAt) : undefined,
  };
}
