/**
 * The third-party CRDs our manifests use, at pinned versions, fetched at test time from each
 * project's own Go module through the Go module proxy (`go mod download -json module@version`,
 * then the YAML files are read from the module cache). Never copied into this repository.
 *
 * Each pin is the newest release the proxy serves that Go 1.26 can download; where a newer one
 * exists the note says why it is not used. Bump a pin here and the cluster tier proves the
 * manifests against it.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CrdSource {
  project: string;
  module: string;
  version: string;
  /** Folder of the module holding one CRD per YAML file. */
  dir: string;
  note?: string;
}

export const CRD_SOURCES: CrdSource[] = [
  {
    project: 'Prometheus Operator',
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    dir: 'example/prometheus-operator-crd',
    note: 'newer root-module versions answer 403 "not available" from the proxy',
  },
  {
    project: 'Argo Rollouts',
    module: 'github.com/argoproj/argo-rollouts',
    version: 'v1.10.1',
    dir: 'manifests/crds',
    note: 'v1.10.2 requires go >= 1.26.10',
  },
  {
    project: 'Argo CD',
    module: 'github.com/argoproj/argo-cd/v3',
    version: 'v3.5.7',
    dir: 'manifests/crds',
    note: 'v3.6.x requires go >= 1.27',
  },
  {
    project: 'cert-manager',
    module: 'github.com/cert-manager/cert-manager',
    version: 'v1.21.2',
    dir: 'deploy/crds',
  },
  {
    project: 'External Secrets',
    module: 'github.com/external-secrets/external-secrets',
    version: 'v1.3.2',
    dir: 'config/crds/bases',
  },
  {
    project: 'Velero',
    module: 'github.com/vmware-tanzu/velero',
    version: 'v1.18.3',
    dir: 'config/crd/v1/bases',
  },
];

/** Downloads one module version (cached by Go after the first time) and returns its directory. */
export async function downloadModule(module: string, version: string): Promise<string> {
  // Outside any module, so nothing here can touch a go.mod.
  const cwd = await mkdtemp(join(tmpdir(), 'aiops-gomod-'));
  try {
    const { stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
      cwd,
      maxBuffer: 1 << 20,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      // go mod download -json reports the failure in its JSON on stdout
      throw new Error(`go mod download ${module}@${version}: ${err.stdout || err.stderr}`);
    });
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? stdout}`);
    return info.Dir;
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/** Every CRD file of every pinned source, in the module cache. */
export async function crdFiles(): Promise<{ source: CrdSource; files: string[] }[]> {
  const out: { source: CrdSource; files: string[] }[] = [];
  for (const source of CRD_SOURCES) {
    const dir = join(await downloadModule(source.module, source.version), source.dir);
    const files = (await readdir(dir))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => join(dir, f));
    if (!files.length)
      throw new Error(`${source.module}@${source.version}: no CRDs in ${source.dir}`);
    out.push({ source, files });
  }
  return out;
}
