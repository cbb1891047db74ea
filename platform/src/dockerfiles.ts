/**
 * Dockerfile checks: syntax through `dockerfile-utils` (the validator behind the VS Code Docker
 * extension) and our image rules over the `dockerfile-ast` parse: multi-stage, pinned bases,
 * non-root numeric USER, OCI labels, production dependencies only, exec-form CMD.
 */
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import type { Finding } from './errors.js';

const REQUIRED_LABELS = [
  'org.opencontainers.image.title',
  'org.opencontainers.image.source',
  'org.opencontainers.image.version',
  'org.opencontainers.image.revision',
  'org.opencontainers.image.licenses',
];

/** Whether an image reference names an exact version: a digest, or a tag containing a digit. */
export function isExactImage(ref: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(ref)) return true;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  if (colon < 0) return false;
  const tag = last.slice(colon + 1);
  return tag !== 'latest' && /\d/.test(tag);
}

function args(i: Instruction): string {
  return i.getArgumentsContent() ?? '';
}

/** Findings for one Dockerfile's text; `source` names it in each finding. */
export function checkDockerfile(text: string, source: string): Finding[] {
  const out: Finding[] = [];
  const add = (rule: string, message: string): void => {
    out.push({ object: source, rule, message });
  };
  for (const d of validate(text)) {
    if (d.severity === 1) add('syntax', `line ${d.range.start.line + 1}: ${d.message}`);
  }
  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const firstFrom = instructions.findIndex((i) => i.getKeyword() === 'FROM');
  const globalArgs = new Map<string, string>();
  for (const i of instructions.slice(0, Math.max(firstFrom, 0))) {
    if (i.getKeyword() !== 'ARG') continue;
    const [name, value] = args(i).split('=', 2);
    if (name && value !== undefined) globalArgs.set(name.trim(), value.trim());
  }
  const resolve = (s: string): string =>
    s.replace(
      /\$\{(\w+)\}|\$(\w+)/g,
      (_, a: string | undefined, b: string | undefined) => globalArgs.get((a ?? b) as string) ?? '',
    );

  const froms = instructions.filter((i) => i.getKeyword() === 'FROM');
  if (froms.length < 2)
    add('multi-stage', `expected a multi-stage build, found ${froms.length} FROM`);
  const stages = new Set<string>();
  for (const f of froms) {
    const parts = args(f)
      .split(/\s+/)
      .filter((p) => !p.startsWith('--'));
    const image = resolve(parts[0] ?? '');
    if (!stages.has(image) && !isExactImage(image)) {
      add(
        'pinned-base',
        `FROM ${parts[0] ?? ''} resolves to "${image}": pin an exact version tag or a digest`,
      );
    }
    if (parts[1]?.toUpperCase() === 'AS' && parts[2]) stages.add(parts[2]);
  }

  const lastFrom = instructions.lastIndexOf(froms[froms.length - 1] as Instruction);
  const final = instructions.slice(lastFrom + 1);
  const users = final.filter((i) => i.getKeyword() === 'USER');
  const user = users.length > 0 ? args(users[users.length - 1] as Instruction).trim() : undefined;
  if (user === undefined) add('non-root-user', 'final stage has no USER');
  else if (!/^[1-9]\d*(:\d+)?$/.test(user)) {
    add('non-root-user', `final USER must be a numeric non-zero UID, got "${user}"`);
  }

  const labels = final
    .filter((i) => i.getKeyword() === 'LABEL')
    .map(args)
    .join(' ');
  for (const l of REQUIRED_LABELS) {
    if (!labels.includes(`${l}=`)) add('oci-labels', `final stage lacks LABEL ${l}`);
  }

  const finalBase = resolve(args(froms[froms.length - 1] as Instruction).split(/\s+/)[0] ?? '');
  const runsNode = /(^|\/)node:/.test(finalBase);
  if (runsNode) {
    const runs = instructions.filter((i) => i.getKeyword() === 'RUN').map(args);
    if (!runs.some((r) => /npm ci\b[^&;]*--omit=dev/.test(r))) {
      add(
        'prod-deps-only',
        'no `npm ci --omit=dev` stage: the runtime would ship dev dependencies',
      );
    }
    const cmd = final.filter((i) => i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT');
    const last = cmd[cmd.length - 1];
    if (!last || !args(last).trim().startsWith('[')) {
      add('exec-form-cmd', 'CMD must be in exec (JSON) form so SIGTERM reaches node');
    }
  }
  for (const i of instructions) {
    if (i.getKeyword() === 'ADD' && /https?:\/\//.test(args(i))) {
      add(
        'no-remote-add',
        `line ${i.getRange().start.line + 1}: ADD of a URL; download in a RUN with a checksum`,
      );
    }
  }
  return out;
}
