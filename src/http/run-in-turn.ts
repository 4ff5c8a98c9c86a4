import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Middleware run one after the other, as Express would run them mounted in a row, but as one
 * layer of the app's router (a layer costs each request that passes it). The first error, passed
 * on, thrown or rejected, ends the run and goes to `done`.
 */
export function runInTurn(handlers: readonly RequestHandler[], req: Request, res: Response, done: NextFunction): void {
  let index = 0;
  const step = (error?: unknown): void => {
    const handler = handlers[index++];
    if (error !== undefined || handler === undefined) {
      done(error);
      return;
    }
    try {
      const result: unknown = handler(req, res, step);
      if (result instanceof Promise) result.catch(step);
    } catch (thrown) {
      step(thrown);
    }
  };
  step();
}

/** `handlers` as one middleware that runs them in turn (`runInTurn`). */
export function inTurn(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => runInTurn(handlers, req, res, next);
}
