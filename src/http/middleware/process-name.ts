import type { RequestHandler } from 'express';

/**
 * Names the process that answered in an `X-Shop-Process` header on every response, probes
 * included: behind a load balancer, an operator or a test sees which process served a request.
 * Mounted only when SHOP_PROCESS_NAME is set, so a single shop says nothing of its layout.
 */
export function processNameHeader(name: string): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('X-Shop-Process', name);
    next();
  };
}
