import http from 'node:http';

/*
 * A small HTTP client for the requests the bench makes one by one (logins, checks), as a browser
 * behind a TLS-terminating proxy would: the shop runs in production with TRUST_PROXY=1, so its
 * `__Host-` cookie is only set when the request says it came over HTTPS.
 */

export const SESSION_COOKIE = '__Host-sid';
export const PROXY_HEADERS = { 'x-forwarded-proto': 'https' } as const;

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  /** `__Host-sid=...` */
  cookie?: string;
  form?: Record<string, string>;
}

export class ShopClient {
  constructor(
    readonly baseUrl: string,
    private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 }),
  ) {}

  request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    const headers: http.OutgoingHttpHeaders = { ...PROXY_HEADERS };
    if (options.cookie) headers.cookie = options.cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const request = http.request(new URL(path, this.baseUrl), { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      });
      request.on('error', reject);
      request.setTimeout(30_000, () => request.destroy(new Error(`${method} ${path} timed out`)));
      request.end(body);
    });
  }

  /** A fresh visitor (no cookie) opens the login page: the shop starts a session for its CSRF token. */
  async openLoginPage(): Promise<{ cookie: string; csrf: string }> {
    const page = await this.request('GET', '/login');
    expectStatus(page, 200, 'GET /login');
    const cookie = sessionCookieSetBy(page);
    if (!cookie) throw new Error('GET /login set no session cookie (is X-Forwarded-Proto honoured? TRUST_PROXY)');
    return { cookie, csrf: csrfTokenIn(page.body) };
  }

  /** Sends the login form of a visitor's session. Returns the cookie of the new (logged-in) session. */
  async submitLogin(visitor: { cookie: string; csrf: string }, email: string, password: string): Promise<string> {
    const reply = await this.request('POST', '/login', {
      cookie: visitor.cookie,
      form: { _csrf: visitor.csrf, email, password },
    });
    expectStatus(reply, 302, 'POST /login');
    const cookie = sessionCookieSetBy(reply);
    if (!cookie || cookie === visitor.cookie) throw new Error('POST /login did not start a new session');
    return cookie;
  }

  /** Logs in as a fresh visitor: the login page, then the form. Returns the new session's cookie. */
  async logIn(email: string, password: string): Promise<string> {
    return this.submitLogin(await this.openLoginPage(), email, password);
  }

  close(): void {
    this.agent.destroy();
  }
}

export function sessionCookieSetBy(reply: Reply): string | undefined {
  const cookie = reply.headers['set-cookie']?.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return cookie?.split(';')[0];
}

export function csrfTokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on this page');
  return match[1];
}

export function expectStatus(reply: Reply, status: number, what: string): void {
  if (reply.status !== status) {
    throw new Error(`${what} answered ${reply.status} instead of ${status}: ${reply.body.slice(0, 300)}`);
  }
}
