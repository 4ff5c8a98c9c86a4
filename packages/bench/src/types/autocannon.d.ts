// The part of autocannon's programmatic API the bench uses (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      headers?: Record<string, string>;
      /** Seconds before a request counts as timed out. */
      timeout?: number;
      /** Sent in turn by every connection, instead of GET `url` (their path on `url`). */
      requests?: Array<{ method?: string; path?: string; body?: string }>;
    }

    interface Result {
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      statusCodeStats: Record<string, { count: number }>;
    }

    /** A run: its events, and (then) its result. */
    interface Instance extends PromiseLike<Result> {
      /** Every response, whatever its status; `responseTime` in ms. */
      on(
        event: 'response',
        listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void,
      ): this;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
