import type { EventEmitter } from 'node:events';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../platform/clock';
import type { Logger } from '../platform/logger';

/** The label of a request that no route matched: static files, and every 404 (never the raw URL). */
export const NO_ROUTE = '(none)';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface ShopMetricsOptions {
  /** Sessions not expired at that time (the session store's count). */
  countActiveSessions: (at: Date) => Promise<number>;
  /** At most one count per this long; scrapes in between get the last one. */
  sessionCountIntervalMs?: number;
  now: Clock;
  /** The MongoDB clients whose failures count (`commandFailed` needs `monitorCommands`). */
  databaseClients: EventEmitter[];
  logger: Logger;
}

/**
 * What `GET /metrics` shows, in a registry of this app's own (prom-client's global one would mix
 * apps, as tests build several): requests by route pattern and status, database failures, active
 * sessions, and Node's own figures (event loop lag, memory, CPU, garbage collection).
 */
export class ShopMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status_code'>;
  private readonly durations: Histogram<'method' | 'route' | 'status_code'>;
  private lastSessionCount?: { at: number; value: number };
  private sessionCountInFlight?: Promise<number | undefined>;

  constructor(private readonly options: ShopMetricsOptions) {
    collectDefaultMetrics({ register: this.registry });
    const labelNames = ['method', 'route', 'status_code'] as const;
    this.requests = new Counter({
      name: 'shop_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames,
      registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'shop_http_request_duration_seconds',
      help: 'Time from the request to the end of its response, by method, route pattern and status',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });

    const commandFailures = new Counter({
      name: 'shop_database_command_failures_total',
      help: 'Database commands that failed (an error answer or a lost connection), by command',
      labelNames: ['command'],
      registers: [this.registry],
    });
    const heartbeatFailures = new Counter({
      name: 'shop_database_heartbeat_failures_total',
      help: "The driver's checks of a database server that failed: the server could not be reached",
      registers: [this.registry],
    });
    for (const client of options.databaseClients) {
      client.on('commandFailed', (event: unknown) => commandFailures.inc({ command: commandNameOf(event) }));
      client.on('serverHeartbeatFailed', () => heartbeatFailures.inc());
    }

    const activeSessions = () => this.activeSessions();
    new Gauge({
      name: 'shop_active_sessions',
      help: 'Sessions not yet expired (counted at most once a minute)',
      registers: [this.registry],
      // prom-client calls it with the gauge as `this`, at each scrape.
      async collect() {
        const value = await activeSessions();
        if (value !== undefined) this.set(value);
      },
    });
  }

  /** One answered request; `route` is the matched route's pattern, or NO_ROUTE. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method: METHODS.has(method) ? method : 'other', route, status_code: String(statusCode) };
    this.requests.inc(labels);
    this.durations.observe(labels, seconds);
  }

  /** The last count while it is recent, else a new one (one at a time); undefined if none could be made. */
  private async activeSessions(): Promise<number | undefined> {
    const interval = this.options.sessionCountIntervalMs ?? 60_000;
    const now = this.options.now();
    if (this.lastSessionCount && now - this.lastSessionCount.at < interval) return this.lastSessionCount.value;
    this.sessionCountInFlight ??= this.options
      .countActiveSessions(new Date(now))
      .then(
        (value) => {
          this.lastSessionCount = { at: now, value };
          return value;
        },
        (error: unknown) => {
          // The figure goes stale rather than the scrape failing; the database failure is counted too.
          this.options.logger.warn({ err: error }, 'metrics: the active sessions could not be counted');
          return this.lastSessionCount?.value;
        },
      )
      .finally(() => {
        this.sessionCountInFlight = undefined;
      });
    return this.sessionCountInFlight;
  }
}

function commandNameOf(event: unknown): string {
  const name = typeof event === 'object' && event !== null && 'commandName' in event ? event.commandName : undefined;
  // The driver's command names are a fixed set; anything else is lumped together.
  return typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name) ? name : 'other';
}
