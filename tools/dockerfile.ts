/**
 * Reads the Dockerfile's runtime stage (its last FROM), for what CI can check without a container
 * engine: scripts/check-production-install.ts plays it in a temporary folder, and
 * tests/unit/deploy-files.test.ts checks what it must say. Only the instructions that stage uses are
 * understood; any other is an error, so that the check never silently skips a step of the image.
 */

/** What the runtime stage (the Dockerfile's last FROM) does, in order. */
export interface RuntimeStage {
  workdir: string;
  env: Record<string, string>;
  steps: Array<
    { kind: 'copy'; from?: string; sources: string[]; destination: string } | { kind: 'run'; command: string }
  >;
  user?: string;
  healthcheck?: string[];
  cmd?: string[];
}

export function readRuntimeStage(dockerfile: string): RuntimeStage {
  // Continuation lines joined; comments and blank lines dropped.
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  let lastFrom = -1;
  instructions.forEach((line, i) => {
    if (/^FROM\s/i.test(line)) lastFrom = i;
  });
  if (lastFrom < 0) throw new Error('Dockerfile: no FROM');
  const stage: RuntimeStage = { workdir: '/', env: {}, steps: [] };
  for (const line of instructions.slice(lastFrom + 1)) {
    const [, keyword, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (keyword?.toUpperCase()) {
      case 'WORKDIR':
        stage.workdir = rest;
        break;
      case 'ENV': {
        const [, key, value] = /^(\w+)=(.*)$/.exec(rest) ?? [];
        if (!key) throw new Error(`Dockerfile: ENV KEY=value expected: ${line}`);
        stage.env[key] = value;
        break;
      }
      case 'COPY': {
        const words = rest.split(/\s+/);
        const from = words[0].startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
        const destination = words.pop()!;
        stage.steps.push({ kind: 'copy', from, sources: words, destination });
        break;
      }
      case 'RUN':
        stage.steps.push({ kind: 'run', command: rest });
        break;
      case 'USER':
        stage.user = rest;
        break;
      case 'HEALTHCHECK': {
        const [, json] = /\bCMD\s+(\[.*\])\s*$/.exec(rest) ?? [];
        if (!json) throw new Error(`Dockerfile: HEALTHCHECK ... CMD ["..."] expected: ${line}`);
        stage.healthcheck = JSON.parse(json) as string[];
        break;
      }
      case 'CMD':
        stage.cmd = JSON.parse(rest) as string[];
        break;
      case 'EXPOSE':
        break;
      default:
        throw new Error(`Dockerfile: the runtime stage uses ${keyword}, which this check does not know: ${line}`);
    }
  }
  return stage;
}
