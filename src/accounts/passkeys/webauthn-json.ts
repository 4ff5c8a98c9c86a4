import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { PASSKEY_TRANSPORTS, type PasskeyTransport } from './passkey.model';

/*
 * What a browser's ceremony sends (WebAuthn's JSON, as @simplewebauthn/browser makes it), checked
 * for shape before the server library sees it: only strings where strings belong, nothing it does
 * not read, and of a size no real authenticator exceeds. What passes is rebuilt field by field, so
 * nothing else of the body (`__proto__`, operators, extra keys) goes further.
 */

/** WebAuthn caps a credential id at 1023 bytes: 1364 characters of base64url. */
const MAX_CREDENTIAL_ID = 1364;
/** The body limit (10 kB) bounds the rest; this keeps one field from taking all of it unchecked. */
const MAX_FIELD = 8192;

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function base64url(value: unknown, max = MAX_FIELD): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max && /^[\w-]+$/.test(value)
    ? value
    : undefined;
}

function credentialId(body: Record<string, unknown>): string | undefined {
  const id = base64url(body.id, MAX_CREDENTIAL_ID);
  return id !== undefined && body.rawId === id && body.type === 'public-key' ? id : undefined;
}

function transportsOf(value: unknown): PasskeyTransport[] {
  if (!Array.isArray(value)) return [];
  const known: readonly string[] = PASSKEY_TRANSPORTS;
  return [
    ...new Set(value.filter((item): item is PasskeyTransport => typeof item === 'string' && known.includes(item))),
  ];
}

/** A registration's response (navigator.credentials.create), or undefined when it is not one. */
export function registrationResponseOf(value: unknown): RegistrationResponseJSON | undefined {
  const body = record(value);
  const response = record(body?.response);
  if (body === undefined || response === undefined) return undefined;
  const id = credentialId(body);
  const clientDataJSON = base64url(response.clientDataJSON);
  const attestationObject = base64url(response.attestationObject);
  if (id === undefined || clientDataJSON === undefined || attestationObject === undefined) return undefined;
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: { clientDataJSON, attestationObject, transports: transportsOf(response.transports) },
    clientExtensionResults: {},
  };
}

/** A login's response (navigator.credentials.get), or undefined when it is not one. */
export function authenticationResponseOf(value: unknown): AuthenticationResponseJSON | undefined {
  const body = record(value);
  const response = record(body?.response);
  if (body === undefined || response === undefined) return undefined;
  const id = credentialId(body);
  const clientDataJSON = base64url(response.clientDataJSON);
  const authenticatorData = base64url(response.authenticatorData);
  const signature = base64url(response.signature);
  const handleSent = response.userHandle !== undefined && response.userHandle !== null;
  const userHandle = handleSent ? base64url(response.userHandle, 128) : undefined;
  if (id === undefined || clientDataJSON === undefined || authenticatorData === undefined || signature === undefined)
    return undefined;
  if (handleSent && userHandle === undefined) return undefined;
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: { clientDataJSON, authenticatorData, signature, userHandle },
    clientExtensionResults: {},
  };
}

/** The longest name a passkey may have. */
export const MAX_PASSKEY_NAME = 60;

/** A passkey's name as the shopper typed it, trimmed; undefined when it is empty, too long or not text. */
export function passkeyNameOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim().replace(/\s+/g, ' ');
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > MAX_PASSKEY_NAME || /[\u0000-\u001f\u007f]/.test(name)) return undefined;
  return name;
}
