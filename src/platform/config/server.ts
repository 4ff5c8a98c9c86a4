import net from 'node:net';
import type { ConfigContext, EnvReader } from './env';
import type { Config } from './types';

/** Where the server listens and how long it waits for slow clients. */
export function serverSection(env: EnvReader, { isProduction }: ConfigContext): Pick<Config, 'port' | 'host' | 'http'> {
  const port = env.integer('PORT', 3000, 0, 65535);

  const rawHost = env.text('HOST');
  let host = isProduction ? undefined : '127.0.0.1';
  if (rawHost !== undefined) {
    if (rawHost === 'localhost' || net.isIP(rawHost) !== 0) host = rawHost;
    else
      env.problem(
        `HOST must be an address of this machine: 127.0.0.1 (this machine only), 0.0.0.0 or :: (every interface), ` +
          `an interface's own address, or localhost (got "${rawHost}")`,
      );
  }

  // Headers within 20 s (nginx allows a client 15 s); a whole request within 2 minutes: a 5 MB
  // photo sent from a phone with a poor signal (about 0.4 Mbit/s up) still arrives.
  const http = {
    headersTimeoutMs: env.integer('HTTP_HEADERS_TIMEOUT_MS', 20_000, 100, 600_000),
    requestTimeoutMs: env.integer('HTTP_REQUEST_TIMEOUT_MS', 120_000, 100, 3_600_000),
    keepAliveTimeoutMs: env.integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
  };
  if (http.headersTimeoutMs > http.requestTimeoutMs) {
    env.problem(
      `HTTP_HEADERS_TIMEOUT_MS (${http.headersTimeoutMs}) must not be above HTTP_REQUEST_TIMEOUT_MS ` +
        `(${http.requestTimeoutMs}): the headers are part of the request`,
    );
  }
  return { port, host, http };
}

/** Express's `trust proxy`: which proxies' X-Forwarded-* headers are believed. */
export function trustProxyOf(env: EnvReader): Config['trustProxy'] {
  const raw = env.text('TRUST_PROXY');
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  // Express also accepts addresses, subnets and names such as "loopback"; it validates them itself.
  if (/^[\w.:/, -]+$/.test(raw)) return raw;
  env.problem(`TRUST_PROXY must be false, true, a hop count or a list of addresses (got "${raw}")`);
  return false;
}

/** This process's name among several (`SHOP_PROCESS_NAME`), for the `X-Shop-Process` header. */
export function processNameOf(env: EnvReader): string | undefined {
  const processName = env.text('SHOP_PROCESS_NAME');
  if (processName !== undefined && !/^[\w.-]{1,64}$/.test(processName)) {
    env.problem(
      `SHOP_PROCESS_NAME must be up to 64 letters, digits, dots, dashes or underscores (got "${processName}")`,
    );
  }
  return processName;
}
