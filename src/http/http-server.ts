import http, { type RequestListener, type Server } from 'node:http';
import type { Config } from '../platform/config';

export type HttpTimeouts = Config['http'];

/** The longest pause between Node's checks of every open connection against the timeouts. */
const MAX_CHECKING_INTERVAL_MS = 5_000;

/**
 * How often Node checks each connection's headers and request against their timeouts: a slow
 * client is cut at its timeout plus up to this. Node's default, 30 s, let half a header block
 * hold a connection 90 s; a quarter of the headers timeout, at most 5 s: 25 s with the defaults.
 */
export function connectionsCheckingIntervalMs(timeouts: HttpTimeouts): number {
  const shortest = Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs);
  return Math.min(MAX_CHECKING_INTERVAL_MS, Math.max(10, Math.floor(shortest / 4)));
}

/**
 * The shop's HTTP server, with bounds of its own on slow clients (Node's defaults are 60 s for
 * the headers and 300 s per request): fine behind nginx, which has its own, but not when the shop
 * is exposed directly. A client cut by them gets a 408 and its connection closed. The checking
 * interval can only be given here, when the server is made: hence no `app.listen`.
 */
export function createHttpServer(handler: RequestListener, timeouts: HttpTimeouts): Server {
  const server = http.createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(timeouts),
    },
    handler,
  );
  // Above the proxy's idle timeout (nginx's upstream keepalive_timeout, 4 s): the proxy closes an
  // idle connection first, so it never sends a request on one the shop is closing.
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  return server;
}
