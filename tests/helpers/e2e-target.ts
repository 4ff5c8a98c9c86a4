import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { startStack, type Stack } from '../../tools/stack';
import { testServerUri } from './database';
import type { TestShop } from './shop';

/**
 * Where the browser test sends its browser. By default the test's own app, listening on a free
 * port. With E2E_STACK=1, the production topology of `npm run stack` (tools/stack.ts): nginx with
 * TLS in front of two shop processes in production mode, round robin, over the test's own database
 * (so the test's helpers still add products and read what it holds) and mailing to the test's inbox.
 * The browser then speaks HTTPS to nginx, and every request it makes goes to the next process.
 */
export const THROUGH_STACK = process.env.E2E_STACK === '1' || process.env.E2E_STACK === 'true';

export interface E2eTarget {
  baseUrl: string;
  /** Keeps which shop process answered each of this context's requests (through the stack). */
  observe(context: BrowserContext): void;
  /**
   * Through the stack: every observed browser was served by every process, and nginx took turns
   * strictly (its access log: each process served as many requests as the other, give or take one).
   */
  expectAlternation(): void;
  close(): Promise<void>;
}

export async function startE2eTarget(shop: TestShop): Promise<E2eTarget> {
  return THROUGH_STACK ? throughStack(shop) : inProcess(shop);
}

async function inProcess(shop: TestShop): Promise<E2eTarget> {
  const server: Server = shop.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    observe: () => undefined,
    expectAlternation: () => {
      throw new Error('expectAlternation: only through the stack (E2E_STACK=1)');
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function throughStack(shop: TestShop): Promise<E2eTarget> {
  const stack: Stack = await startStack({
    processes: 2,
    mongodbUri: withDatabase(testServerUri(), shop.dbName),
    shopEnv: {
      SMTP_URL: shop.inbox.url,
      MAIL_FROM: '"Session Shop" <shop@example.com>',
      BCRYPT_ROUNDS: '4',
      LOG_LEVEL: 'warn',
      // Production offers the second factor only with a key; one for this run, shared by both processes.
      TOTP_KEY: crypto.randomBytes(32).toString('base64'),
    },
  });
  const seenBy: string[][] = [];
  return {
    baseUrl: stack.url,
    observe(context) {
      const seen: string[] = [];
      seenBy.push(seen);
      context.on('response', (response) => {
        const name = response.headers()['x-shop-process'];
        if (name) seen.push(name);
      });
    },
    expectAlternation() {
      const names = stack.shops.map((shop) => shop.name);
      expect(seenBy.length).toBeGreaterThan(0);
      for (const seen of seenBy) expect([...new Set(seen)].sort()).toEqual(names);
      const byUpstream = new Map<string, number>();
      for (const match of stack.accessLog().matchAll(/upstream=(\S+)/g))
        byUpstream.set(match[1], (byUpstream.get(match[1]) ?? 0) + 1);
      const counts = stack.shops.map((shop) => byUpstream.get(`127.0.0.1:${shop.port}`) ?? 0);
      expect(Math.min(...counts)).toBeGreaterThan(10);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    },
    async close() {
      const codes = await stack.stop();
      const unclean = codes.filter(({ code }) => code !== 0);
      if (unclean.length > 0) throw new Error(`the stack did not stop cleanly: ${JSON.stringify(unclean)}`);
    },
  };
}

/** The server's URI naming `dbName` as its database (the test's own), whatever database it named. */
function withDatabase(uri: string, dbName: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!match) throw new Error(`not a MongoDB URI: ${uri}`);
  return `${match[1]}/${dbName}${match[2] ?? ''}`;
}
