/**
 * One browser, as far as the shop can tell, for the scripts and the tests that talk to a running
 * shop over HTTP: its own cookie jar (tough-cookie), forms posted with the CSRF token the last page
 * carried, redirects not followed (the caller decides), connections kept alive, and the time of
 * every request.
 *
 * `behindHttpsProxy` plays a TLS-terminating proxy in front of a shop started with TRUST_PROXY=1:
 * every request says `X-Forwarded-Proto: https`, and the jar treats the shop as the https site the
 * browser would see, so the production cookie (`__Host-sid`, Secure) is kept and sent back.
 *
 * An https:// base URL is spoken to over TLS (through nginx, say): give `ca` to trust a self-signed
 * certificate, or `insecure` to check none.
 *
 *   const shopper = new ShopClient(url, { behindHttpsProxy: true });
 *   await shopper.get('/login');
 *   await shopper.postForm('/login', { email, password });   // _csrf from the login page
 */
import http from 'node:http';
import https from 'node:https';
import { CookieJar } from 'tough-cookie';
import { findCsrfToken } from './html';

/** What a TLS-terminating proxy adds to each request it passes on. */
export const HTTPS_PROXY_HEADERS: Readonly<Record<string, string>> = { 'x-forwarded-proto': 'https' };

export interface ShopReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The redirect target, for 3xx. */
  location?: string;
  body: string;
  /** From sending the request to the end of the body. */
  ms: number;
}

/** Called after every request: the load test's statistics. */
export type RequestListener = (
  label: string,
  outcome: { status: number; ms: number; headers: http.IncomingHttpHeaders } | { error: Error; ms: number },
) => void;

export interface ShopClientOptions {
  /** See above: X-Forwarded-Proto: https, and the cookies of an https site. */
  behindHttpsProxy?: boolean;
  /** Sent with every request. */
  headers?: Record<string, string>;
  /** Connections to share between clients (each keeps its own cookies); by default one of its own. */
  agent?: http.Agent;
  /** https:// only: the certificate(s) to trust, in PEM (a self-signed one, for example). */
  ca?: string;
  /** https:// only: accept any certificate. For a test stack's own, when `ca` cannot be had. */
  insecure?: boolean;
  /** Per request; 30 s by default. */
  timeoutMs?: number;
  onRequest?: RequestListener;
}

export interface RequestOptions {
  /** Sent as application/x-www-form-urlencoded, as it is (no `_csrf` added: see postForm). */
  form?: Record<string, string>;
  /** Added to this request's headers; a `cookie` here replaces the jar's. */
  headers?: Record<string, string>;
  /** For the request listener; `METHOD path` by default. */
  label?: string;
}

export class ShopClient {
  private readonly jar = new CookieJar();
  /** The CSRF token of the last page that had a form: the session's token. */
  csrfToken: string | undefined;
  private readonly agent: http.Agent;
  private readonly ownAgent: boolean;
  /** Where the jar believes the shop is: https behind the proxy, as the browser sees it. */
  private readonly cookieOrigin: string;
  private readonly secure: boolean;

  constructor(
    readonly baseUrl: string,
    private readonly options: ShopClientOptions = {},
  ) {
    this.ownAgent = options.agent === undefined;
    const origin = new URL(baseUrl);
    this.secure = origin.protocol === 'https:';
    this.agent =
      options.agent ??
      (this.secure
        ? new https.Agent({ keepAlive: true, ca: options.ca, rejectUnauthorized: !options.insecure })
        : new http.Agent({ keepAlive: true }));
    if (options.behindHttpsProxy) origin.protocol = 'https:';
    this.cookieOrigin = origin.origin;
  }

  get(path: string, label = `GET ${path}`): Promise<ShopReply> {
    return this.request('GET', path, { label });
  }

  /** A form post with `_csrf` added from the last page (the fields may override it). */
  postForm(path: string, fields: Record<string, string> = {}, label = `POST ${path}`): Promise<ShopReply> {
    return this.request('POST', path, { form: { _csrf: this.csrfToken ?? '', ...fields }, label });
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ShopReply> {
    const label = options.label ?? `${method} ${path}`;
    const started = performance.now();
    try {
      const reply = await this.send(method, path, options);
      this.options.onRequest?.(label, { status: reply.status, ms: reply.ms, headers: reply.headers });
      return reply;
    } catch (error) {
      this.options.onRequest?.(label, {
        error: error instanceof Error ? error : new Error(String(error)),
        ms: performance.now() - started,
      });
      throw error;
    }
  }

  /** The `Cookie` header this client sends to the shop: for requests made by other means. */
  cookieHeader(path = '/'): string {
    return this.jar.getCookieStringSync(new URL(path, this.cookieOrigin).href);
  }

  /** The value of one of the shop's cookies, if the jar holds it. */
  cookie(name: string): string | undefined {
    return this.jar.getCookiesSync(this.cookieOrigin).find((cookie) => cookie.key === name)?.value;
  }

  /** Closes the client's connections (not those of an agent it was given). */
  close(): void {
    if (this.ownAgent) this.agent.destroy();
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<ShopReply> {
    try {
      return await this.sendOnce(method, path, options);
    } catch (error) {
      // A kept-alive connection the server (or proxy) closed just as this request went out: nothing
      // of it was read, and a browser sends it again on a new connection. So does this client, once.
      if (!(error instanceof ClosedBeforeAnswer)) throw error;
      return this.sendOnce(method, path, options);
    }
  }

  private sendOnce(method: string, path: string, options: RequestOptions): Promise<ShopReply> {
    const url = new URL(path, this.baseUrl);
    const cookieUrl = new URL(url.pathname + url.search, this.cookieOrigin).href;
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    const headers: http.OutgoingHttpHeaders = {
      ...(this.options.behindHttpsProxy ? HTTPS_PROXY_HEADERS : {}),
      ...this.options.headers,
    };
    const cookie = this.jar.getCookieStringSync(cookieUrl);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    Object.assign(headers, options.headers);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const request = (this.secure ? https : http).request(url, { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const ms = performance.now() - started;
          try {
            for (const line of response.headers['set-cookie'] ?? []) this.jar.setCookieSync(line, cookieUrl);
          } catch (error) {
            reject(error);
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          const token = findCsrfToken(text);
          if (token) this.csrfToken = token;
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            location: response.headers.location,
            body: text,
            ms,
          });
        });
      });
      request.on('error', (error: NodeJS.ErrnoException) =>
        reject(request.reusedSocket && error.code === 'ECONNRESET' ? new ClosedBeforeAnswer(error) : error),
      );
      const timeoutMs = this.options.timeoutMs ?? 30_000;
      request.setTimeout(timeoutMs, () =>
        request.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)),
      );
      request.end(body);
    });
  }
}

/** A reused keep-alive connection was closed before any answer came: the request may be sent again. */
class ClosedBeforeAnswer extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

/** Throws, naming the request, unless the reply has this status. */
export function expectStatus(reply: ShopReply, status: number, what: string): void {
  if (reply.status !== status) {
    const to = reply.location ? ` (to ${reply.location})` : '';
    throw new Error(`${what} answered ${reply.status}${to} instead of ${status}: ${reply.body.slice(0, 300)}`);
  }
}
