/**
 * A real OpenID Provider (oidc-provider 9) for the tests and for trying sign-in locally with
 * `npm run oidc-provider`: offline, in this process, on a port of its own, with one client
 * registered for the shop, accounts the caller defines, and PKCE (S256) required.
 *
 * The login step is ours (oidc-provider leaves its interaction pages to the host): the next login
 * set with `loginAs(subject)` (or an OIDC `login_hint` naming an account) is taken at once, with no
 * page; otherwise a small page lists the accounts with a button each (for a person in a browser),
 * and `denyNextLogin()` answers the shop `error=access_denied`. Consent is implied: the shop is a
 * first-party client, so the grant is made without a page.
 *
 * oidc-provider 9 warns on Node 20 ("Unsupported runtime. Use Node.js v22.x LTS") and works.
 */
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import Provider, {
  type Adapter,
  type AdapterPayload,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { ShopClient } from './shop-client';

export interface OidcAccount {
  /** The subject: the provider's own, stable id of the person. */
  sub: string;
  email: string;
  /** The provider vouches for the address (`email_verified`). */
  emailVerified: boolean;
}

export interface OidcProviderOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The address to listen on, and the issuer's host: 127.0.0.1 by default. */
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** Where the provider may send shoppers back: the shop's PUBLIC_URL + /login/oidc/callback. */
  redirectUris: string[];
  accounts?: OidcAccount[];
  /**
   * Where `email` and `email_verified` travel. 'id-token' (the default, as Google does): in the ID
   * token. 'userinfo': only at the userinfo endpoint, as OpenID Connect Core's strict reading has it
   * (oidc-provider's `conformIdTokenClaims`), for a client that must ask there.
   */
  emailClaimsIn?: 'id-token' | 'userinfo';
}

type NextLogin = { kind: 'account'; sub: string } | { kind: 'deny' };

export class LocalOidcProvider {
  /** http://host:port: OIDC_ISSUER. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  /** The oidc-provider instance itself, for what this class does not wrap. */
  readonly provider: Provider;
  private nextLogin: NextLogin | undefined;
  /** How many logins the interaction step completed: a test sees whether the provider was asked. */
  logins = 0;

  private constructor(
    private readonly server: Server,
    private readonly accounts: Map<string, OidcAccount>,
    provider: Provider,
    issuer: string,
    options: Required<Pick<OidcProviderOptions, 'clientId' | 'clientSecret' | 'redirectUris'>>,
  ) {
    this.provider = provider;
    this.issuer = issuer;
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.redirectUris = options.redirectUris;
  }

  static async start(options: OidcProviderOptions): Promise<LocalOidcProvider> {
    const host = options.host ?? '127.0.0.1';
    const clientId = options.clientId ?? 'session-shop';
    const clientSecret = options.clientSecret ?? crypto.randomBytes(24).toString('base64url');
    const app = express();
    const server = app.listen(options.port ?? 0, host);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
    const accounts = new Map<string, OidcAccount>();
    const provider = new Provider(
      issuer,
      configuration({
        clientId,
        clientSecret,
        redirectUris: options.redirectUris,
        emailClaimsIn: options.emailClaimsIn ?? 'id-token',
        findAccount: (sub) => accounts.get(sub),
      }),
    );
    const self = new LocalOidcProvider(server, accounts, provider, issuer, {
      clientId,
      clientSecret,
      redirectUris: options.redirectUris,
    });
    for (const account of options.accounts ?? []) self.addAccount(account);
    self.mount(app);
    return self;
  }

  /** The settings a shop uses for this provider. */
  get shopEnv(): Record<'OIDC_ISSUER' | 'OIDC_CLIENT_ID' | 'OIDC_CLIENT_SECRET', string> {
    return { OIDC_ISSUER: this.issuer, OIDC_CLIENT_ID: this.clientId, OIDC_CLIENT_SECRET: this.clientSecret };
  }

  addAccount(account: OidcAccount): void {
    this.accounts.set(account.sub, { ...account });
  }

  /** The next login at the provider is this account, without a page. */
  loginAs(sub: string): void {
    if (!this.accounts.has(sub)) throw new Error(`loginAs: no account ${sub} at the provider`);
    this.nextLogin = { kind: 'account', sub };
  }

  /** The next login is refused by the person: the shop gets `error=access_denied` at its callback. */
  denyNextLogin(): void {
    this.nextLogin = { kind: 'deny' };
  }

  /**
   * Plays the browser at the provider: follows an authorization URL (the shop's redirect from
   * GET /login/oidc) through the provider's login step, with a cookie jar of its own (a fresh
   * browser each call, so a login always happens), and returns the URL the provider sends the
   * browser back to: the shop's callback with `code`, `state` and `iss` (or `error`). The shop is
   * not requested: the caller does that with the shop's own cookies.
   *
   * `as` logs in that account (as `loginAs`). Throws if the provider answers with a page instead of
   * a redirect (an unknown client or redirect_uri, a missing PKCE challenge: the page says why).
   */
  async authorize(authorizationUrl: string | URL, { as }: { as?: string } = {}): Promise<URL> {
    if (as !== undefined) this.loginAs(as);
    const browser = new ShopClient(this.issuer);
    try {
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < 10; hop += 1) {
        if (url.origin !== new URL(this.issuer).origin) throw new Error(`authorize: left the provider for ${url.href}`);
        const reply = await browser.get(url.pathname + url.search);
        if (reply.status < 300 || reply.status >= 400 || reply.location === undefined) {
          throw new Error(
            `authorize: the provider answered ${reply.status} at ${url.pathname}: ${textOf(reply.body).slice(0, 300)}`,
          );
        }
        const next = new URL(reply.location, url);
        if (this.redirectUris.some((uri) => next.href.startsWith(`${uri}?`))) return next;
        url = next;
      }
      throw new Error('authorize: more than 10 redirects at the provider');
    } finally {
      browser.close();
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private mount(app: express.Express): void {
    app.get('/interaction/:uid', (req, res, next) => {
      this.interaction(req, res).catch(next);
    });
    app.post('/interaction/:uid/login', express.urlencoded({ extended: false, limit: '2kb' }), (req, res, next) => {
      const sub: unknown = req.body?.account;
      if (typeof sub !== 'string' || !this.accounts.has(sub)) {
        res.status(400).type('text').send('Unknown account');
        return;
      }
      this.finishLogin(req, res, sub).catch(next);
    });
    app.post('/interaction/:uid/deny', (req, res, next) => {
      this.deny(req, res).catch(next);
    });
    app.use(this.provider.callback());
  }

  private async interaction(req: Request, res: Response): Promise<void> {
    const details = await this.provider.interactionDetails(req, res);
    if (details.prompt.name !== 'login') {
      // Consent is granted by loadExistingGrant below; any other prompt is unexpected here.
      res.status(500).type('text').send(`Unexpected prompt ${details.prompt.name}`);
      return;
    }
    const next = this.nextLogin;
    this.nextLogin = undefined;
    if (next?.kind === 'deny') return this.deny(req, res);
    const hint = details.params.login_hint;
    const sub = next?.sub ?? (typeof hint === 'string' && this.accounts.has(hint) ? hint : undefined);
    if (sub !== undefined) return this.finishLogin(req, res, sub);
    res.type('html').send(loginPage(details.uid, [...this.accounts.values()]));
  }

  private async finishLogin(req: Request, res: Response, sub: string): Promise<void> {
    this.logins += 1;
    await this.provider.interactionFinished(
      req,
      res,
      { login: { accountId: sub } },
      { mergeWithLastSubmission: false },
    );
  }

  private async deny(req: Request, res: Response): Promise<void> {
    await this.provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The person declined to sign in' },
      { mergeWithLastSubmission: false },
    );
  }
}

function configuration(options: {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  emailClaimsIn: 'id-token' | 'userinfo';
  findAccount: (sub: string) => OidcAccount | undefined;
}): Configuration {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Own signing key and cookie keys, and an adapter per provider: no development-only defaults (and their warnings).
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    adapter: memoryAdapter(),
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: options.emailClaimsIn === 'userinfo',
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const account = options.findAccount(sub);
      if (account === undefined) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, email: account.email, email_verified: account.emailVerified }),
      };
    },
    // The shop is a first-party client: consent is implied, never a page.
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client?.clientId;
      const accountId = ctx.oidc.session?.accountId;
      if (clientId === undefined || accountId === undefined) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(clientId);
      if (grantId !== undefined) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope('openid email');
      await grant.save();
      return grant;
    },
    // Seconds, short: a test's replayed code meets a used one, not an expired one.
    ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  };
}

/** oidc-provider's storage in a Map per provider (its own in-memory adapter is shared and warns). */
function memoryAdapter(): (name: string) => Adapter {
  const entries = new Map<string, { payload: AdapterPayload; expiresAt?: number }>();
  const live = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) entries.delete(key);
    return entries.get(key)?.payload;
  };
  return (name) => {
    const key = (id: string) => `${name}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        entries.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        for (const [stored] of entries) {
          const payload = stored.startsWith(`${name}:`) ? live(stored) : undefined;
          if (payload?.uid === uid) return payload;
        }
        return undefined;
      },
      async findByUserCode(userCode) {
        for (const [stored] of entries) {
          const payload = stored.startsWith(`${name}:`) ? live(stored) : undefined;
          if (payload?.userCode === userCode) return payload;
        }
        return undefined;
      },
      async consume(id) {
        const payload = live(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [stored, { payload }] of entries) if (payload.grantId === grantId) entries.delete(stored);
      },
    };
  };
}

function loginPage(uid: string, accounts: OidcAccount[]): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const buttons = accounts
    .map(
      (account) =>
        `<li><form method="post" action="/interaction/${escape(uid)}/login">` +
        `<input type="hidden" name="account" value="${escape(account.sub)}">` +
        `<button type="submit">${escape(account.email)}</button> ` +
        `(${account.emailVerified ? 'verified' : 'not verified'}, subject ${escape(account.sub)})</form></li>`,
    )
    .join('');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local OpenID Provider</title></head>` +
    `<body><h1>Local OpenID Provider</h1><p>Sign in to the shop as:</p><ul>${buttons}</ul>` +
    `<form method="post" action="/interaction/${escape(uid)}/deny"><button type="submit">Cancel</button></form>` +
    `</body></html>`
  );
}

function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
