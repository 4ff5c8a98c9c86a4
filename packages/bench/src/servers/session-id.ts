import cookie from 'cookie';
import signature from 'cookie-signature';

/**
 * The session id in an express-session cookie, if its signature holds under one of `secrets`
 * (the first signs, all verify): what express-session does with the Cookie header, through the
 * same libraries (cookie to parse, cookie-signature to verify). Undefined for no cookie, an
 * unsigned one or a bad signature.
 */
export function sessionIdIn(header: string | undefined, name: string, secrets: string[]): string | undefined {
  const value = header ? cookie.parse(header)[name] : undefined;
  if (!value?.startsWith('s:')) return undefined;
  for (const secret of secrets) {
    const id = signature.unsign(value.slice(2), secret);
    if (id !== false) return id;
  }
  return undefined;
}
