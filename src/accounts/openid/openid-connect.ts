import * as client from 'openid-client';
import type { OidcConfig } from '../../platform/config/account-security';

/**
 * Sign-in with an OpenID provider through openid-client (the certified relying party): the
 * authorization code flow with PKCE (S256), `state` and `nonce`, the ID token checked (signature,
 * issuer, audience, expiry, nonce). The routes keep `checks` between `start` and `finish` in a
 * short-lived cookie, signed and encrypted (never in a session: a visitor has none yet).
 */
export interface SignInChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Who the provider says the person is. */
export interface ProviderIdentity {
  /** The provider's issuer identifier: with `subject`, the person's stable key (never the email). */
  issuer: string;
  subject: string;
  email?: string;
  /** Only `email_verified: true` counts; a missing or string value does not. */
  emailVerified: boolean;
}

/**
 * The callback cannot sign anyone in: a wrong or missing `state`, a code used before, expired or
 * not issued to this shop, the person declining at the provider (`error=access_denied`), an ID
 * token that fails its checks. Answer it with a 4xx page. Anything else thrown (the provider
 * unreachable, a timeout) is the provider's failure, not the visitor's.
 */
export class SignInRefused extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignInRefused';
  }
}

const SCOPE = 'openid email';

export class OpenIdConnect {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly settings: OidcConfig,
    private readonly options: { timeoutSeconds?: number } = {},
  ) {}

  get label(): string {
    return this.settings.label;
  }

  /** Where to send the browser, and the checks to keep until it comes back. */
  async start(): Promise<{ url: URL; checks: SignInChecks }> {
    const configuration = await this.discover();
    const checks: SignInChecks = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url, checks };
  }

  /**
   * The callback's query string (`req.originalUrl`'s part after `?`), checked against `checks`,
   * exchanged for tokens. The callback URL is rebuilt on the configured redirect URI (PUBLIC_URL),
   * never on the request's Host: openid-client sends it to the provider as `redirect_uri`.
   */
  async finish(query: string, checks: SignInChecks): Promise<ProviderIdentity> {
    const configuration = await this.discover();
    const callbackUrl = new URL(this.settings.redirectUri);
    callbackUrl.search = query;
    let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw refusal(error);
    }
    const claims = tokens.claims();
    if (claims === undefined) throw new SignInRefused('the provider sent no ID token');
    let email = claims.email;
    let verified = claims.email_verified;
    if (email === undefined) {
      // Strict providers keep scope claims out of the ID token: ask userinfo, for the same subject.
      const userInfo = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
      email = userInfo.email;
      verified = userInfo.email_verified;
    }
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: typeof email === 'string' ? email : undefined,
      emailVerified: verified === true,
    };
  }

  /** The provider's metadata, read on first use and kept; a failed read is tried again next time. */
  private discover(): Promise<client.Configuration> {
    this.configuration ??= client
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        undefined,
        client.ClientSecretBasic(this.settings.clientSecret),
        {
          // http:// issuers only outside production: config.ts refuses them there.
          execute: this.settings.allowInsecureRequests ? [client.allowInsecureRequests] : [],
          timeout: this.options.timeoutSeconds ?? 10,
        },
      )
      .catch((error: unknown) => {
        this.configuration = undefined;
        throw error;
      });
    return this.configuration;
  }
}

/** The callback's own faults become SignInRefused; the provider's failures stay as they are. */
function refusal(error: unknown): unknown {
  if (error instanceof client.AuthorizationResponseError) {
    return new SignInRefused(`the provider answered ${error.error}`, { cause: error });
  }
  // invalid_grant: the code was used before, has expired, or was issued for another client or verifier.
  if (error instanceof client.ResponseBodyError && error.status >= 400 && error.status < 500) {
    return new SignInRefused(`the provider refused the code: ${error.error}`, { cause: error });
  }
  // openid-client's own checks: state, iss, the ID token's signature, audience, nonce, expiry.
  if (error instanceof client.ClientError && error.code !== undefined && CALLBACK_FAULTS.has(error.code)) {
    // The inner error says which check failed ('unexpected "state" response parameter value').
    return new SignInRefused(error.cause instanceof Error ? error.cause.message : error.message, { cause: error });
  }
  return error;
}

const CALLBACK_FAULTS = new Set([
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED',
]);
