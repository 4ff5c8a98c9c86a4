import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';

/** An IPv4 address of this machine that is not loopback; `release` undoes what was done to have one. */
export interface SecondAddress {
  address: string;
  /** How it was found, for messages: "eth0", or "added to lo". */
  source: string;
  release(): void;
}

/**
 * For tests in which the client's address matters (another machine of the LAN, as the server
 * sees it): the address of a non-loopback interface when the machine has one (its eth0), else
 * one of TEST-NET-2 (198.51.100.0/24, never routed) added to `lo` for the test with `ip` (root
 * needed), and removed by `release`. Either way, a client bound to it (`localAddress`) connects
 * from that address, and a server listening on 127.0.0.1 only is not reachable on it. Undefined
 * when neither is possible: the caller skips, saying why.
 *
 * Synchronous, so that a test file can decide at load time whether its tests run or are skipped.
 */
export function secondAddress(): SecondAddress | undefined {
  for (const [name, addresses] of Object.entries(os.networkInterfaces())) {
    const found = addresses?.find((entry) => entry.family === 'IPv4' && !entry.internal);
    if (found) return { address: found.address, source: name, release: () => {} };
  }
  const address = `198.51.100.${10 + crypto.randomInt(200)}`;
  try {
    execFileSync('ip', ['address', 'add', `${address}/32`, 'dev', 'lo'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return {
    address,
    source: 'added to lo',
    release: () => execFileSync('ip', ['address', 'del', `${address}/32`, 'dev', 'lo'], { stdio: 'ignore' }),
  };
}
