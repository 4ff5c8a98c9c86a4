/**
 * npm run stack — the shop as it runs in production, on this machine: the database, shop processes
 * in production mode (`node dist/server.js`) and nginx in front terminating TLS with a certificate
 * made for the run. Prints the address and stays up until Ctrl-C, then stops everything.
 *
 *   npm run stack                                   # https://localhost:8443, two processes
 *   npm run stack -- --processes 3 --https-port 9443 --http-port 9080
 *   npm run stack -- --check                        # start, check, stop: exit 0 when all is well
 *   MONGODB_URI=mongodb://127.0.0.1:27017/shop npm run stack   # a database of your own
 *
 * Builds dist/ when it is missing or older than src/, and installs Debian's nginx when it is missing
 * (apt-get, through sudo unless root). See tools/stack.ts and docs/operations.md.
 */
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import { DEMO_LOGIN } from '../src/demo-data';
import { redactUri } from '../src/platform/config';
import { startStack, type Stack } from '../tools/stack';

interface Options {
  processes: number;
  httpsPort: number;
  httpPort: number;
  shopPorts?: number[];
  dbPath?: string;
  check: boolean;
  logs: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      processes: { type: 'string', default: '2' },
      'https-port': { type: 'string' },
      'http-port': { type: 'string' },
      'shop-ports': { type: 'string' },
      dbpath: { type: 'string' },
      check: { type: 'boolean', default: false },
      logs: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run stack -- [--processes 2] [--https-port 8443] [--http-port 8080] [--shop-ports 3001,3002]\n' +
        '                        [--dbpath DIR] [--logs] [--check]\n' +
        '  --check   start, check every process answers through nginx over HTTPS, stop (free ports by default)\n' +
        '  --logs    show the processes output (JSON log lines), each with its name\n' +
        '  MONGODB_URI and SESSION_SECRET in the environment are used when set.',
    );
    process.exit(0);
  }
  const port = (name: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value > 65535) throw new Error(`--${name} must be a port number (got "${raw}")`);
    return value;
  };
  const processes = Number(values.processes);
  if (!/^\d+$/.test(values.processes) || processes < 1 || processes > 16)
    throw new Error(`--processes must be a whole number from 1 to 16 (got "${values.processes}")`);
  const shopPorts = values['shop-ports']?.split(',').map((raw) => port('shop-ports', raw.trim(), 0));
  // A check is often run beside another stack (CI, a second terminal): free ports unless named.
  const check = values.check;
  return {
    processes,
    httpsPort: port('https-port', values['https-port'], check ? 0 : 8443),
    httpPort: port('http-port', values['http-port'], check ? 0 : 8080),
    shopPorts,
    dbPath: values.dbpath,
    check,
    logs: values.logs,
  };
}

async function main(): Promise<number> {
  const options = readOptions();
  const mongodbUri = process.env.MONGODB_URI?.trim() || undefined;
  const stack = await startStack({
    processes: options.processes,
    httpsPort: options.httpsPort,
    httpPort: options.httpPort,
    shopPorts: options.shopPorts,
    mongodbUri,
    dbPath: options.dbPath,
    sessionSecret: process.env.SESSION_SECRET?.trim() || undefined,
    // A database of our own starts empty: the demo products and shopper make the shop worth a look.
    seedDemoData: mongodbUri === undefined && !options.check,
    log: (message) => console.log(`stack: ${message}`),
    onOutput: options.logs ? (name, line) => console.log(`[${name}] ${line}`) : undefined,
  });

  if (options.check) {
    const failures = await check(stack);
    const codes = await stack.stop();
    for (const { name, code } of codes) if (code !== 0) failures.push(`${name} exited ${code} on stop`);
    for (const failure of failures) console.log(`  FAIL  ${failure}`);
    console.log(failures.length === 0 ? 'stack check: all well' : `stack check: ${failures.length} problem(s)`);
    return failures.length === 0 ? 0 : 1;
  }

  console.log(`
Session Shop, production topology:
  ${stack.url}   (self-signed certificate: the browser warns once; ${stack.httpUrl} redirects here)
  ${stack.shops.map((shop) => `${shop.name} ${shop.directUrl}`).join(', ')}, round-robin behind nginx
  database ${redactUri(stack.mongodbUri)}${stack.engine ? ` (embedded engine, ${options.dbPath ? `data in ${options.dbPath}` : 'in memory: gone at stop'})` : ''}
${mongodbUri === undefined ? `  demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}\n` : ''}Ctrl-C stops everything.`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (why: string, code: number) => {
      if (stopping) return;
      stopping = true;
      console.log(`\nstack: ${why}: stopping nginx, the shop processes and the database`);
      for (const { name, code: exit } of await stack.stop()) console.log(`stack: ${name} exited ${exit}`);
      resolve(code);
    };
    process.on('SIGINT', () => void stop('SIGINT', 0));
    process.on('SIGTERM', () => void stop('SIGTERM', 0));
    void stack.nginx.exited.then((code) => stop(`nginx exited (${code})`, 1));
    for (const shop of stack.shops) {
      void shop.process?.exited.then((code) => {
        if (!stopping) console.log(`stack: ${shop.name} exited (${code}); nginx sends its requests to the others`);
      });
    }
  });
}

/** Through nginx over verified TLS: every process answers, the redirect, readiness. */
async function check(stack: Stack): Promise<string[]> {
  const failures: string[] = [];
  const seen = new Map<string, number>();
  const rounds = stack.shops.length * 4;
  for (let i = 0; i < rounds; i++) {
    const reply = await get(`${stack.url}/readyz`, stack.certificate);
    if (reply.status !== 200) failures.push(`GET /readyz through nginx answered ${reply.status}`);
    const name = String(reply.headers['x-shop-process']);
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  const counts = stack.shops.map((shop) => `${shop.name} ${seen.get(shop.name) ?? 0}`).join(', ');
  console.log(`  ${rounds} requests through ${stack.url}: ${counts}`);
  for (const shop of stack.shops)
    if (seen.get(shop.name) !== rounds / stack.shops.length)
      failures.push(`round robin: ${shop.name} served ${seen.get(shop.name) ?? 0} of ${rounds}`);
  const redirect = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
    const request = http.get(`${stack.httpUrl}/products?page=2`, { agent: false }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location });
    });
    request.on('error', reject);
  });
  console.log(`  ${stack.httpUrl}/products?page=2 -> ${redirect.status} ${redirect.location}`);
  if (redirect.status !== 301 || redirect.location !== `${stack.url}/products?page=2`)
    failures.push(`plain HTTP answered ${redirect.status} to ${redirect.location}, not 301 to HTTPS`);
  return failures;
}

function get(url: string, ca: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error(`GET ${url}: no answer within 10 s`)));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run stack: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
