/**
 * What the bench's servers (the ceiling, the floor and the peers) do alike: their command line,
 * an Express app that renders the shop's own pages, and listening until SIGTERM. Each is a process
 * of its own, started by servers.ts in production mode.
 */
import { parseArgs } from 'node:util';
import express, { type Express } from 'express';
import mongoose from 'mongoose';
import { useShopViews } from '../shop';

export interface ServerArgs {
  port: number;
  /** The database: the shop's own (the same data and users). */
  uri: string;
  /** SESSION_SECRET from the environment: the shop's for the floor, the peers' own for them. */
  secret: string;
}

/** `--port P --uri URI`, SESSION_SECRET in the environment; exits with a usage line otherwise. */
export function serverArgs(file: string): ServerArgs {
  const { values } = parseArgs({ options: { port: { type: 'string' }, uri: { type: 'string' } } });
  if (!values.port || !values.uri) {
    console.error(`usage: [SESSION_SECRET=...] ${file} --port P --uri URI`);
    process.exit(2);
  }
  return { port: Number(values.port), uri: values.uri, secret: process.env.SESSION_SECRET ?? '' };
}

/** An Express app with the shop's views and page defaults, view cache on (production). */
export function shopPagesApp(): Express {
  const app = express();
  useShopViews(app, { cache: true });
  app.disable('x-powered-by');
  return app;
}

/** Listens on 127.0.0.1; SIGTERM closes the server, then `close` (its own clients) and mongoose, then exits. */
export function listen(app: Express, name: string, port: number, close: () => Promise<unknown> = async () => {}): void {
  const server = app.listen(port, '127.0.0.1', () => {
    console.log(`${name} listening on http://127.0.0.1:${port}/products`);
  });
  process.once('SIGTERM', () => {
    server.close(() => {
      void Promise.allSettled([close(), mongoose.disconnect()]).finally(() => process.exit(0));
    });
    server.closeAllConnections();
  });
}

/** Runs a server's start-up; a failure is printed (the bench shows a server's output) and ends the process. */
export function start(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
