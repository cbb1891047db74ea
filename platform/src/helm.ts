/**
 * Runs Helm on charts/aiops-autoheal: `helm lint` and `helm template`. Helm itself is built from
 * its Go module by scripts/helm.sh (once, into the git-ignored .tmp/tools/, then reused), so the
 * tests need Go and the module proxy, never a downloaded binary.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from './errors.js';
import { parseYamlDocuments, type KubeObject } from './kube.js';
import { repoPath } from './paths.js';

export const CHART = 'charts/aiops-autoheal';
/** The Kubernetes version `helm template` and `helm lint` render for (the chart needs ≥ 1.30). */
export const KUBE_VERSION = '1.33.0';

/** The path of the Helm binary, building it first if needed (minutes, once per machine). */
export function helmBinary(): string {
  const r = spawnSync('bash', [repoPath('scripts/helm.sh')], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new ToolError(`scripts/helm.sh failed: ${r.stderr.trim()}`, 'helm', r.stderr);
  }
  return r.stdout.trim();
}

/** Helm prints a warning per symbolic link it follows (files/ links to k8s/): not a problem. */
const withoutSymlinkNotes = (stderr: string): string =>
  stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/found symbolic link in path/.test(l))
    .join('\n');

function run(
  args: string[],
  values: object,
): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aiops-helm-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const r = spawnSync(
      helmBinary(),
      [...args, repoPath(CHART), '-f', file, '--kube-version', KUBE_VERSION],
      {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      },
    );
    if (r.error) throw new ToolError(`helm ${args[0]}: cannot run`, 'helm', '', { cause: r.error });
    return { status: r.status, stdout: r.stdout, stderr: withoutSymlinkNotes(r.stderr) };
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** `helm template` with the given values; a template error throws with Helm's message. */
export function helmTemplate(values: object = {}, namespace = 'dev'): KubeObject[] {
  const r = run(['template', 'aiops', '--namespace', namespace], values);
  if (r.status !== 0) throw new ToolError(`helm template failed: ${r.stderr}`, 'helm', r.stderr);
  return parseYamlDocuments(r.stdout, 'helm template');
}

/** `helm lint --strict`: its messages, empty when clean. */
export function helmLint(values: object = {}): { ok: boolean; output: string } {
  const r = run(['lint', '--strict'], values);
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
