/**
 * Do the login limits count across shop processes? Through the proxy, one address fails to log in
 * to one account again and again (each attempt with a made-up X-Forwarded-For, which the proxy
 * must replace), until the shop answers 429. With counters shared by every process the 429 comes
 * right after `limit` failures; with counters in each process's memory, only once every process
 * has counted `limit` of its own: `processes` times later. The probe first waits until the proxy
 * sends requests to every process again (a process that failed is left out for a while), and says
 * which process answered each attempt: a probe that reached one process only proves nothing.
 */
import { sleep } from '../../tools/processes';
import { expectStatus, ShopClient } from '../../tools/shop-client';

export interface LimitProbeResult {
  /** The attempt (1-based) that got the 429; undefined if none did. */
  refusedAt: number | undefined;
  attempts: number;
  /** Statuses other than 422 (wrong password) and 429 (refused), which the probe does not expect. */
  surprises: string[];
  /** Failed logins per process that answered them (X-Shop-Process). */
  answeredBy: Map<string, number>;
}

export async function probeLoginLimit(options: {
  baseUrl: string;
  ca?: string;
  insecure?: boolean;
  runId: string;
  /** LOGIN_RATE_LIMIT_PER_ACCOUNT of every process. */
  limit: number;
  /** The processes' names (SHOP_PROCESS_NAME), all of which must be in the proxy's rotation. */
  processNames: string[];
}): Promise<LimitProbeResult> {
  const client = new ShopClient(options.baseUrl, { ca: options.ca, insecure: options.insecure });
  try {
    await untilEveryProcessServes(client, options.processNames);
    const email = `limit-probe-${options.runId}@example.com`;
    const password = 'limit probe password';
    expectStatus(await client.get('/signup'), 200, 'limit probe: GET /signup');
    expectStatus(
      await client.postForm('/signup', { email, password, confirmPassword: password }),
      302,
      'limit probe: POST /signup',
    );
    expectStatus(await client.get('/login'), 200, 'limit probe: GET /login');
    const surprises: string[] = [];
    const answeredBy = new Map<string, number>();
    const most = options.limit * options.processNames.length + 1;
    for (let attempt = 1; attempt <= most; attempt++) {
      const spoofed = `203.0.113.${attempt % 250}`;
      const reply = await client.request('POST', '/login', {
        form: { _csrf: client.csrfToken ?? '', email, password: 'not the password' },
        headers: { 'x-forwarded-for': spoofed },
      });
      if (reply.status === 429) return { refusedAt: attempt, attempts: attempt, surprises, answeredBy };
      if (reply.status !== 422) surprises.push(`attempt ${attempt}: ${reply.status}`);
      const name = String(reply.headers['x-shop-process']);
      answeredBy.set(name, (answeredBy.get(name) ?? 0) + 1);
    }
    return { refusedAt: undefined, attempts: most, surprises, answeredBy };
  } finally {
    client.close();
  }
}

/** Polls /healthz through the proxy until each process has answered one of the last few requests. */
async function untilEveryProcessServes(client: ShopClient, names: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let recent: string[] = [];
  while (Date.now() < deadline) {
    const reply = await client.get('/healthz');
    recent = [...recent, String(reply.headers['x-shop-process'])].slice(-2 * names.length);
    if (names.every((name) => recent.includes(name))) return;
    await sleep(200);
  }
  throw new Error(
    `limit probe: within ${timeoutMs / 1000} s the proxy did not send requests to each of ${names.join(', ')}`,
  );
}
