/**
 * npm run image — builds the shop's container image from the Dockerfile with podman, here, where no
 * registry of images is reachable and the build reaches no network at all:
 *
 *   npm run image                    # podman build: localhost/session-shop:latest
 *   npm run image -- --check         # build, then run it, check it and stop it: exit 0 when all is well
 *
 * 1. podman and runc are installed from Debian's packages when missing (tools/podman.ts);
 * 2. the base, node:20-bookworm-slim, is used when podman has it, else pulled, else assembled from
 *    Debian's and npm's packages, once (tools/node-base-image.ts);
 * 3. podman build, npm installing from the host's npm cache (tools/image.ts);
 * 4. with --check: the container against the embedded engine on the host, its HEALTHCHECK healthy,
 *    a page, the native modules, then SIGTERM and exit code 0 (tools/image.ts).
 *
 * See docs/operations.md ("The image") for building it with Docker or podman where pulling works.
 */
import { parseArgs } from 'node:util';
import { buildImage, checkImage } from '../tools/image';
import { ensureBaseImage } from '../tools/node-base-image';
import { ensurePodman } from '../tools/podman';

function readOptions(): { check: boolean; tag: string } {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      tag: { type: 'string', default: 'session-shop:latest' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run image -- [--check] [--tag session-shop:latest]\n' +
        '  --check   after the build, run the image against the embedded engine, check it and stop it\n' +
        '  podman runs with deploy/podman/containers.conf unless CONTAINERS_CONF names another.',
    );
    process.exit(0);
  }
  return { check: values.check, tag: values.tag };
}

async function main(): Promise<number> {
  const options = readOptions();
  const log = (message: string) => console.log(`image: ${message}`);
  const timings: string[] = [];
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await work();
    timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };

  await timed('podman', async () => ensurePodman(log));
  const base = await timed('base image', () => ensureBaseImage(log));
  log(`base image node:20-bookworm-slim: ${base}`);
  log(`podman build --tag ${options.tag}`);
  await timed('build', () => buildImage(options.tag, (chunk) => process.stdout.write(chunk)));
  if (options.check) {
    log(`checking ${options.tag}`);
    await timed('check', () => checkImage(options.tag, log));
  }
  log(`${options.check ? 'built and checked' : 'built'} ${options.tag} (${timings.join(', ')})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run image: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
