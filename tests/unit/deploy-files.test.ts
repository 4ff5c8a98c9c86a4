import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/platform/config';
import { NGINX_TEMPLATE, PRODUCTION_PROCESS_ENV, fillTemplate } from '../../tools/stack';

/*
 * The deployment files, checked as files: the nginx template fills completely (and only with values
 * given), compose.yaml gives the template and the shop everything they need, and the image's build
 * context leaves out secrets and local files. What they do when run: npm run stack (the template,
 * through nginx) and npm run image -- --check (the Dockerfile, built and run with podman).
 */

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const template = read(NGINX_TEMPLATE);
const placeholders = [...new Set([...template.matchAll(/\$\{(SHOP_[A-Z0-9_]+)\}/g)].map((match) => match[1]))].sort();

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };

/** Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?error}, from `env`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_match, name: string, kind?: string, rest?: string) => {
    if (env[name] !== undefined && env[name] !== '') return env[name];
    if (kind === '?') throw new Error(`${name}: ${rest}`);
    return kind === '-' ? (rest ?? '') : '';
  });
}

test('the nginx template fills completely, and a placeholder without a value is named', () => {
  expect(placeholders).toEqual([
    'SHOP_HTTPS_LISTEN',
    'SHOP_HTTP_LISTEN',
    'SHOP_PUBLIC_URL',
    'SHOP_SERVER_NAME',
    'SHOP_TLS_CERTIFICATE',
    'SHOP_TLS_CERTIFICATE_KEY',
    'SHOP_UPSTREAM_SERVERS',
  ]);
  const values = Object.fromEntries(placeholders.map((name) => [name, `<${name}>`]));
  const filled = fillTemplate(template, values);
  expect(filled).not.toMatch(/\$\{?SHOP_/);
  // nginx's own variables are left alone.
  expect(filled).toContain('return 301 <SHOP_PUBLIC_URL>$request_uri;');
  expect(filled).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
  const { SHOP_UPSTREAM_SERVERS: _left, ...missing } = values;
  expect(() => fillTemplate(template, missing)).toThrow(/no value for SHOP_UPSTREAM_SERVERS/);
});

test('the template forwards what the shop needs: host, client address, https, 6 MB bodies', () => {
  for (const directive of [
    'proxy_set_header Host $host;',
    'proxy_set_header X-Forwarded-For $remote_addr;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    'client_max_body_size 6m;',
    'gzip off;',
    'proxy_read_timeout',
    'ssl_certificate_key ${SHOP_TLS_CERTIFICATE_KEY};',
  ])
    expect(template).toContain(directive);
});

test('compose.yaml: MongoDB as a replica set of one, initiated by its healthcheck', () => {
  const mongo = compose.services.mongo;
  expect(mongo.image).toMatch(/^mongo:7/);
  expect(mongo.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
  expect(mongo.healthcheck?.test.join(' ')).toMatch(/rs\.initiate\(.*rs0/);
});

test('compose.yaml: two shop processes whose configuration the shop accepts, each with its own name', () => {
  const shops = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
  expect(shops.map(([name]) => name)).toEqual(['shop-1', 'shop-2']);
  const documented = read('.env.example');
  const names = new Set<string>();
  for (const [, service] of shops) {
    const raw = service.environment ?? {};
    for (const key of Object.keys(raw)) expect(documented).toMatch(new RegExp(`^# ?${key}=`, 'm'));
    expect(() => interpolate(raw.SESSION_SECRET, {})).toThrow(/SESSION_SECRET/);
    const env = Object.fromEntries(
      Object.entries(raw).map(([key, value]) => [key, interpolate(value, { SESSION_SECRET: 'x'.repeat(48) })]),
    );
    const config = loadConfig(env);
    expect(config).toMatchObject({ isProduction: true, trustProxy: 1, publicUrl: 'https://localhost' });
    expect(config.mongodbUri).toMatch(/replicaSet=rs0/);
    names.add(config.processName ?? '');
    expect(service.depends_on?.mongo?.condition).toBe('service_healthy');
  }
  expect([...names].sort()).toEqual(['shop-1', 'shop-2']);
});

test('compose.yaml: nginx gets the template and a value for each of its placeholders', () => {
  const nginx = compose.services.nginx;
  expect(nginx.volumes).toContain(`./${NGINX_TEMPLATE}:/etc/nginx/templates/default.conf.template:ro`);
  expect(Object.keys(nginx.environment ?? {}).sort()).toEqual(placeholders);
  expect(nginx.environment?.SHOP_UPSTREAM_SERVERS).toBe('server shop-1:3000; server shop-2:3000;');
});

test("the image's build context leaves out installed and built files, local data and secrets", () => {
  const ignored = read('.dockerignore').split('\n');
  for (const entry of ['**/node_modules', '**/dist', '.git', '.env', '.data', 'deploy/tls'])
    expect(ignored).toContain(entry);
});

test('the image gives the shop the environment npm run stack gives its production processes', () => {
  // The runtime stage: what follows its FROM line.
  const runtime = read('Dockerfile').split(/^FROM \S+ AS runtime$/m)[1] ?? '';
  for (const [key, value] of Object.entries(PRODUCTION_PROCESS_ENV)) {
    expect(runtime.split('\n')).toContain(`ENV ${key}=${value}`);
  }
});
