import { LocalOidcProvider, type OidcAccount, type OidcProviderOptions } from '../../tools/oidc-provider';

export { LocalOidcProvider, type OidcAccount };

/**
 * A real OpenID Provider for a test (tools/oidc-provider.ts): oidc-provider 9 on a free port of
 * 127.0.0.1, offline, with the shop registered as a client whose redirect_uri is
 * `${publicUrl}/login/oidc/callback`. Give the shop `provider.shopEnv` (OIDC_ISSUER, OIDC_CLIENT_ID,
 * OIDC_CLIENT_SECRET) and drive a login with `provider.authorize(location, { as: sub })`.
 */
export function startTestOidcProvider(
  options: { publicUrl: string } & Omit<OidcProviderOptions, 'redirectUris' | 'port' | 'host'>,
): Promise<LocalOidcProvider> {
  const { publicUrl, ...rest } = options;
  return LocalOidcProvider.start({ ...rest, redirectUris: [`${publicUrl.replace(/\/+$/, '')}/login/oidc/callback`] });
}
