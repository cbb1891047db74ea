/**
 * Dockerfile checks: syntax through `dockerfile-utils` (the validator behind the VS Code Docker
 * extension) and our image rules over the `dockerfile-ast` parse: multi-stage, pinned bases,
 * non-root numeric USER, OCI labels, production dependencies only, exec-form CMD. One Dockerfile
 * builds every image as a target; a target's image is its stage plus the stages it is built FROM,
 * so the runtime rules read that chain (a LABEL or USER set in a shared parent counts).
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

/** The text of the stage `FROM … AS <name>` up to the next FROM ('' when there is none). */
export function stageText(dockerfile: string, name: string): string {
  const re = new RegExp(`^FROM \\S+ AS ${name}\\n([\\s\\S]*?)(?=^FROM |(?![\\s\\S]))`, 'm');
  return re.exec(dockerfile)?.[1] ?? '';
}

function args(i: Instruction): string {
  return i.getArgumentsContent() ?? '';
}

interface Stage {
  /** `AS` name, or '' for an unnamed stage. */
  name: string;
  /** The image or stage it is built FROM, build arguments resolved. */
  base: string;
  instructions: Instruction[];
}

/**
 * Findings for one Dockerfile's text and one of its targets (default: the last stage); `source`
 * names it in each finding.
 */
export function checkDockerfile(text: string, source: string, target?: string): Finding[] {
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
  const stages = new Map<string, Stage>();
  const ordered: Stage[] = [];
  for (const [n, f] of froms.entries()) {
    const parts = args(f)
      .split(/\s+/)
      .filter((p) => !p.startsWith('--'));
    const base = resolve(parts[0] ?? '');
    if (!stages.has(base) && !isExactImage(base)) {
      add(
        'pinned-base',
        `FROM ${parts[0] ?? ''} resolves to "${base}": pin an exact version tag or a digest`,
      );
    }
    const start = instructions.indexOf(f) + 1;
    const next = froms[n + 1];
    const stage: Stage = {
      name: parts[1]?.toUpperCase() === 'AS' ? (parts[2] ?? '') : '',
      base,
      instructions: instructions.slice(start, next ? instructions.indexOf(next) : undefined),
    };
    if (stage.name) stages.set(stage.name, stage);
    ordered.push(stage);
  }
  const finalStage = target === undefined ? ordered.at(-1) : stages.get(target);
  if (!finalStage) {
    add('target', `no stage named ${String(target)}`);
    return out;
  }
  // The target's stage and every stage it is built FROM, the root first.
  const chain: Stage[] = [];
  for (let st: Stage | undefined = finalStage; st; st = stages.get(st.base)) chain.unshift(st);
  const final = chain.flatMap((st) => st.instructions);
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

  const finalBase = (chain[0] as Stage).base;
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
