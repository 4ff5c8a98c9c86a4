/**
 * npm run oidc-provider: a local OpenID Provider (oidc-provider, offline) to try "Log in with ..."
 * against `npm run dev`. It prints the OIDC_* settings to put in .env, then serves until Ctrl-C;
 * its login page lists the accounts below, each a button.
 *
 *   npm run oidc-provider -- [--port 3001] [--shop http://localhost:3000]
 *
 * --shop is the shop's PUBLIC_URL (default: PUBLIC_URL from .env, else http://localhost:PORT):
 * the provider sends shoppers back to its /login/oidc/callback only.
 */
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { printLine } from '../src/platform/logger';
import { LocalOidcProvider, type OidcAccount } from '../tools/oidc-provider';

/** A new shopper, the demo shopper's address (linking asks for its password), an address not vouched for. */
const ACCOUNTS: OidcAccount[] = [
  { sub: 'local-ann', email: 'ann@example.com', emailVerified: true },
  { sub: 'local-demo', email: 'demo@example.com', emailVerified: true },
  { sub: 'local-eve', email: 'eve@example.com', emailVerified: false },
];

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3001' },
      shop: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    printLine('usage: npm run oidc-provider -- [--port 3001] [--shop http://localhost:3000]');
    return;
  }
  const shop = (values.shop ?? process.env.PUBLIC_URL ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(
    /\/+$/,
    '',
  );
  const provider = await LocalOidcProvider.start({
    port: Number(values.port),
    // Stable, so that .env stays right across restarts; this provider serves this machine only.
    clientSecret: 'local-provider-secret-for-development-only',
    redirectUris: [`${shop}/login/oidc/callback`],
    accounts: ACCOUNTS,
  });
  printLine(`Local OpenID Provider at ${provider.issuer} (this machine only), for the shop at ${shop}.`);
  printLine('Put these in .env and restart `npm run dev`:');
  printLine('');
  for (const [key, value] of Object.entries({ ...provider.shopEnv, OIDC_LABEL: 'Local provider' }))
    printLine(`${key}=${value}`);
  printLine('');
  printLine(`Accounts: ${ACCOUNTS.map((a) => `${a.email}${a.emailVerified ? '' : ' (not verified)'}`).join(', ')}`);
  printLine('Ctrl-C stops it.');
  const stop = () => {
    provider.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
