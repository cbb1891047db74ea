import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../stack/index.js';
import { startControlPlane, type ControlPlane } from './controlPlane.js';
import { kubectl, kubectlOk, waitCrdsEstablished } from './kubectl.js';

// The HealPolicy CRD on the real API server, installed the way the shipped manifests install it:
// from `kubectl kustomize k8s/cluster` (what `kubectl apply -k` and Argo CD's aiops-cluster
// Application apply), then the Helm chart's rendering applied over it as an upgrade would, which
// must change nothing (one generated file, healer/crds, behind both). Then `kubectl explain`
// reads its schema, and the API server's structural-schema validation accepts a policy the healer
// accepts and refuses one it refuses, naming the field.

const run = promisify(execFile);
const CRD_NAME = 'healpolicies.aiops.io';

interface Crd {
  kind: string;
  metadata: { name: string; generation?: number; annotations?: Record<string, string> };
  spec?: unknown;
}

/**
 * The CRDs of a rendering, as a JSON List: JSON, because kubectl reads YAML as 1.1, where an
 * unquoted `off` (a gate mode) would turn into a boolean on the way.
 */
function crdList(yaml: string, source: string): string {
  const items = parseAllDocuments(yaml)
    .map((d) => d.toJS() as Crd | null)
    .filter((o): o is Crd => o?.kind === 'CustomResourceDefinition');
  if (items.map((o) => o.metadata.name).join() !== CRD_NAME)
    throw new Error(`${source}: expected exactly the CRD ${CRD_NAME}, got ${items.length}`);
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** `helm template` of the chart's CRD template, Helm built from its Go module (scripts/helm.sh). */
async function helmCrds(): Promise<string> {
  const helm = (await run('bash', [join(ROOT, 'scripts/helm.sh')])).stdout.trim();
  const { stdout } = await run(helm, [
    'template',
    'aiops',
    join(ROOT, 'charts/aiops-autoheal'),
    '--namespace',
    'aiops',
    '--kube-version',
    '1.33.0',
    '--show-only',
    'templates/crds.yaml',
  ]);
  return crdList(stdout, 'helm template');
}

const getCrd = async (plane: ControlPlane): Promise<Crd> =>
  JSON.parse(await kubectlOk(plane, ['get', 'crd', CRD_NAME, '-o', 'json'])) as Crd;

const policy = (name: string, spec: unknown): string =>
  JSON.stringify({
    apiVersion: 'aiops.io/v1alpha1',
    kind: 'HealPolicy',
    metadata: { name, namespace: 'default' },
    spec,
  });

describe('HealPolicy CRD on the real API server', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane();
    const kustomized = await kubectlOk(plane, ['kustomize', join(ROOT, 'k8s/cluster')]);
    await kubectlOk(plane, ['apply', '--server-side', '--field-manager=kustomize', '-f', '-'], {
      input: crdList(kustomized, 'kubectl kustomize k8s/cluster'),
    });
    await waitCrdsEstablished(plane, [`crd/${CRD_NAME}`], 60);
  }, 180_000);
  afterAll(async () => {
    await plane?.stop();
  });

  it("the Helm chart's CRD is the same: applied over it as an upgrade, the spec is unchanged", async () => {
    const before = await getCrd(plane);
    await kubectlOk(
      plane,
      ['apply', '--server-side', '--force-conflicts', '--field-manager=helm', '-f', '-'],
      { input: await helmCrds() },
    );
    const after = await getCrd(plane);
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
  }, 600_000);

  it('kubectl explain describes the spec from the generated schema', async () => {
    // The API server publishes a new CRD's OpenAPI a few seconds after it is Established.
    const explain = async (field: string): Promise<string> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const r = await kubectl(plane, ['explain', field]);
        if (r.code === 0) return r.stdout;
        if (Date.now() > deadline) throw new Error(`kubectl explain ${field}: ${r.stderr}`);
        await new Promise((done) => setTimeout(done, 1_000));
      }
    };
    const out = await explain('healpolicy.spec');
    for (const field of ['selector', 'thresholds', 'ladder', 'gates']) expect(out).toContain(field);
    expect(await explain('healpolicy.spec.gates.rollback')).toContain('string');
  }, 90_000);

  it('accepts every gate mode, "off" included (a YAML 1.1 boolean unless quoted)', async () => {
    for (const mode of ['auto', 'approve', 'off']) {
      const r = await kubectl(plane, ['create', '--dry-run=server', '-f', '-'], {
        input: policy(`gate-${mode}`, {
          selector: { matchLabels: { app: 'web' } },
          gates: { rollback: mode, cache_clear_restart: mode },
          ladder: ['restart_scale', 'rollback', 'page'],
        }),
      });
      expect(`${mode}: ${r.code} ${r.stderr}`).toBe(`${mode}: 0 `);
    }
  });

  it('stores a valid policy for real, listed by its short name', async () => {
    await kubectlOk(plane, ['create', '-f', '-'], {
      input: policy('shop', {
        selector: { matchLabels: { tier: 'web' } },
        gates: { rollback: 'approve' },
        cacheClear: { method: 'proxy', path: '/cache/flush' },
      }),
    });
    expect(await kubectlOk(plane, ['get', 'hp', '-n', 'default', '-o', 'name'])).toBe(
      'healpolicy.aiops.io/shop\n',
    );
  });

  it('refuses what the config schema refuses, naming the field', async () => {
    const bad = await kubectl(plane, ['create', '--dry-run=server', '-f', '-'], {
      input: policy('bad', { gates: { rollback: 'sometimes' }, thresholds: { high: 2 } }),
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.gates.rollback');
    expect(bad.stderr).toContain('spec.thresholds.high');
    const ladder = await kubectl(plane, ['create', '--dry-run=server', '-f', '-'], {
      input: policy('bad-ladder', { ladder: ['reboot_node'] }),
    });
    expect(ladder.code).not.toBe(0);
    expect(ladder.stderr).toContain('spec.ladder[0]');
  });
});
