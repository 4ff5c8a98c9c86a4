import net from 'node:net';
import type { RequestHandler } from 'express';
import { notFound } from '../http-error';

/** Whether an address is this machine's loopback: 127.0.0.0/8 (also IPv4-mapped, `::ffff:127.0.0.1`) or ::1. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1' || address === 'localhost') return true;
  const ipv4 = address.toLowerCase().startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return net.isIPv4(ipv4) && ipv4.startsWith('127.');
}

/**
 * Lets through only clients on this machine, by the connection's own peer address: never
 * `req.ip`, which `TRUST_PROXY` takes from X-Forwarded-For, a header any client writes. Anyone
 * else gets the 404 page, as if the route did not exist.
 */
export const loopbackOnly: RequestHandler = (req, _res, next) => {
  next(isLoopbackAddress(req.socket.remoteAddress) ? undefined : notFound());
};
