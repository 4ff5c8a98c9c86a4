import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * What only a request with a session needs (the absolute timeout, the User, the cart's counts,
 * the CSRF token of a shopper's forms), run in turn as one middleware: a visitor's request, which
 * has no session (sessions/middleware/session.ts), passes them all at the cost of one test instead
 * of a router layer each. A handler's error, thrown or rejected, goes to the app's error handler.
 */
export function whenSessionSent(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    if (req.session === undefined) next();
    else runInTurn(handlers, req, res, next);
  };
}

function runInTurn(handlers: RequestHandler[], req: Request, res: Response, done: NextFunction): void {
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
