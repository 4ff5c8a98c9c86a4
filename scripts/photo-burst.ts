/**
 * npm run bench:photos — the photo bomb of issue 21 against one shop process, with its figures:
 * sellers (5) each send their share of the uploads (140 in all, within the hourly photo limit) of a
 * flat 7,070 × 7,070 PNG (50 megapixels, about 160 kB) all at once, while a visitor keeps asking
 * for /products. Prints how the uploads were answered, the process's peak resident memory (VmHWM
 * from /proc) and what it kept, and /products's latency before and during the burst. Exits 1 when
 * an upload got anything but 302 (taken) or 503 (refused for now, with Retry-After).
 *
 *   npm run bench:photos
 *   npm run bench:photos -- --uploads 140 --sellers 5 --env PHOTO_DECODE_CONCURRENCY=4 --env MALLOC_ARENA_MAX=2
 *   npm run bench:photos -- --tsx            # src/server.ts under tsx instead of the compiled dist/server.js
 *
 * It starts the embedded engine (or uses --mongodb-uri) and the shop as a process of its own in
 * production mode (`node dist/server.js`, built when older than src/, as the image runs it),
 * behind one trusted proxy hop that the script plays (X-Forwarded-Proto: https), with the
 * environment the image gives it (tools/stack.ts, PRODUCTION_PROCESS_ENV). Each `--env KEY=VALUE`
 * is added to the shop's environment, which otherwise holds nothing of this shell's:
 * `--env GLIBC_TUNABLES=` measures the shop without the image's malloc setting.
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { startEngineProcess, startShopProcess, type ChildHandle } from '../tools/processes';
import { PRODUCTION_PROCESS_ENV, buildIfNeeded } from '../tools/stack';
import { flatPng, medianAndMax, photoBurst } from '../tools/photo-burst';

const MB = 1024 * 1024;

function readOptions() {
  const { values } = parseArgs({
    options: {
      uploads: { type: 'string', default: '140' },
      sellers: { type: 'string', default: '5' },
      'mongodb-uri': { type: 'string' },
      tsx: { type: 'boolean', default: false },
      env: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run bench:photos -- [--uploads 140] [--sellers 5] [--mongodb-uri URI] [--tsx] [--env KEY=VALUE]...',
    );
    process.exit(0);
  }
  const whole = (name: string, raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1`);
    return value;
  };
  const env: Record<string, string> = {};
  for (const pair of values.env) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`--env must be KEY=VALUE (got "${pair}")`);
    env[match[1]] = match[2];
  }
  return {
    uploads: whole('uploads', values.uploads),
    sellers: whole('sellers', values.sellers),
    mongodbUri: values['mongodb-uri'],
    compiled: !values.tsx,
    env,
  };
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function main(): Promise<void> {
  const options = readOptions();
  const started: ChildHandle[] = [];
  try {
    if (options.compiled) buildIfNeeded('if-needed', (message) => console.log(message));
    let mongodbUri = options.mongodbUri;
    if (mongodbUri === undefined) {
      const engine = await startEngineProcess();
      started.push(engine);
      mongodbUri = engine.uri;
    }
    const shop = await startShopProcess(
      {
        ...PRODUCTION_PROCESS_ENV,
        NODE_ENV: 'production',
        TRUST_PROXY: '1',
        SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
        MONGODB_URI: mongodbUri,
        SEED_DEMO_DATA: 'false',
        BCRYPT_ROUNDS: '4',
        ...options.env,
      },
      { compiled: options.compiled },
    );
    started.push(shop);
    const photo = await flatPng();
    const extra = Object.entries({ ...PRODUCTION_PROCESS_ENV, ...options.env }).map(
      ([key, value]) => ` ${key}=${value}`,
    );
    console.log(
      `shop: ${options.compiled ? 'node dist/server.js' : 'src/server.ts under tsx'}, NODE_ENV=production${extra.join('')}`,
    );
    console.log(
      `burst: ${options.uploads} uploads at once from ${options.sellers} sellers of a ${photo.length.toLocaleString('en-US')}-byte PNG of 7,070 x 7,070 pixels`,
    );

    const result = await photoBurst({
      baseUrl: shop.url,
      pid: shop.pid,
      photo,
      sellers: options.sellers,
      uploads: options.uploads,
    });

    const refused = result.uploads.filter(({ status }) => status === 503);
    const retryAfter = [...new Set(refused.map(({ retryAfter }) => retryAfter ?? 'none'))].join(', ');
    const taken = result.uploads.filter(({ status }) => status === 302);
    const idle = medianAndMax(result.productsIdle);
    const during = medianAndMax(result.productsDuring);
    const uploadTimes = medianAndMax(taken.map(({ ms: time }) => time));
    const refusedTimes = medianAndMax(refused.map(({ ms: time }) => time));
    console.log(
      `answers: ${JSON.stringify(result.statusCounts)}${refused.length ? ` (503 Retry-After: ${retryAfter})` : ''}`,
    );
    console.log(
      `uploads taken: median ${ms(uploadTimes.median)}, max ${ms(uploadTimes.max)}` +
        (refused.length ? `; refused: median ${ms(refusedTimes.median)}, max ${ms(refusedTimes.max)}` : '') +
        `; the burst took ${(result.burstMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `memory: ${mb(result.rssBefore)} before, peak (VmHWM) ${mb(result.peak)}, ` +
        `${mb(result.rssAfter)} right after, ${mb(result.rssSettled)} 3 s later`,
    );
    console.log(
      `/products: idle median ${ms(idle.median)}; during the burst median ${ms(during.median)}, ` +
        `max ${ms(during.max)} (${result.productsDuring.length} requests)`,
    );
    const failed = result.uploads.filter(({ status }) => status !== 302 && status !== 503);
    const noRetryAfter = refused.filter(({ retryAfter: value }) => value === undefined);
    if (failed.length > 0 || noRetryAfter.length > 0) {
      for (const failure of failed.slice(0, 3)) console.error(`answered ${failure.status}: ${failure.body}`);
      if (noRetryAfter.length > 0) console.error(`${noRetryAfter.length} answers 503 without Retry-After`);
      process.exitCode = 1;
    }
  } finally {
    for (const handle of started.reverse()) await handle.stop('SIGTERM', 15_000);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
