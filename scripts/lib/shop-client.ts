/**
 * One browser, as far as the shop can tell: its own cookie jar, forms posted with the CSRF token
 * the last page carried, redirects not followed (the caller decides). Plain HTTP through Node's
 * fetch, whose connections are kept alive. Used by the load test and the server-process tests.
 */

export interface ShopReply {
  status: number;
  /** The redirect target, for 3xx. */
  location?: string;
  body: string;
  /** From sending the request to the end of the body. */
  ms: number;
}

/** Called after every request: the load test's statistics. */
export type RequestListener = (
  label: string,
  outcome: { status: number; ms: number } | { error: Error; ms: number },
) => void;

export class ShopClient {
  private readonly cookies = new Map<string, string>();
  /** The CSRF token of the last page that had a form: the session's token. */
  csrfToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly options: {
      timeoutMs?: number;
      onRequest?: RequestListener;
      headers?: Record<string, string>;
    } = {},
  ) {}

  get(path: string, label = `GET ${path}`): Promise<ShopReply> {
    return this.send(label, path, { method: 'GET' });
  }

  /** A form post with `_csrf` added from the last page. */
  postForm(path: string, fields: Record<string, string> = {}, label = `POST ${path}`): Promise<ShopReply> {
    const body = new URLSearchParams({ _csrf: this.csrfToken ?? '', ...fields }).toString();
    return this.send(label, path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** The `Cookie` header this client would send: for requests made by other means. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async send(
    label: string,
    path: string,
    init: { method: string; body?: string; headers?: Record<string, string> },
  ): Promise<ShopReply> {
    const started = performance.now();
    try {
      const cookie = this.cookieHeader();
      const response = await fetch(new URL(path, this.baseUrl), {
        ...init,
        headers: { ...this.options.headers, ...init.headers, ...(cookie ? { cookie } : {}) },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      const body = await response.text();
      const ms = performance.now() - started;
      this.keepCookies(response.headers.getSetCookie());
      const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
      if (token) this.csrfToken = token;
      this.options.onRequest?.(label, { status: response.status, ms });
      return { status: response.status, location: response.headers.get('location') ?? undefined, body, ms };
    } catch (error) {
      this.options.onRequest?.(label, {
        error: error instanceof Error ? error : new Error(String(error)),
        ms: performance.now() - started,
      });
      throw error;
    }
  }

  /** Enough of RFC 6265 for one host: name=value, removed by an expiry in the past or Max-Age=0. */
  private keepCookies(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator < 1) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, raw = ''] = attribute.trim().split('=');
        if (key.toLowerCase() === 'max-age') return Number(raw) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(raw) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
