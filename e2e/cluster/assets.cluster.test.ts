import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { KubeApiError } from '@aiops/simulator/agent/kubeClient';
import { ROOT } from '../stack/index.js';
import { crdFiles } from './crds.js';
import { startControlPlane, type ControlPlane } from './controlPlane.js';
import { kubectl, kubectlOk, waitCrdsEstablished } from './kubectl.js';

// Every kustomization we ship, applied to a real apiserver with the real CRDs of the projects it
// uses (pinned in crds.ts), server-side and dry-run; then the namespaces' Pod Security labels
// enforced by real admission on every rendered pod template.

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: unknown } };
}

/** Cluster-level roots first: they install what the overlays' objects refer to. */
const ROOTS = [
  'k8s/cluster',
  'k8s/cluster/cert-manager',
  'k8s/monitoring',
  'k8s/argocd',
  'k8s/overlays/dev',
  'k8s/overlays/prod',
  'k8s/overlays/prod-nginx',
];
const WORKLOAD_KINDS = new Set(['Deployment', 'Rollout', 'StatefulSet', 'DaemonSet']);
/**
 * Warnings the apiserver may give that are not ours to fix; any other warning fails the test.
 * Argo CD documents `resources-finalizer.argocd.argoproj.io` as the finalizer that makes it
 * delete an Application's resources, so the name is theirs.
 */
const ACCEPTED_WARNINGS = [
  /^Warning: metadata\.finalizers: "resources-finalizer\.argocd\.argoproj\.io": prefer a domain-qualified finalizer name/,
];
const warnings = (stderr: string): string[] =>
  stderr.split('\n').filter((l) => l.trim() && !ACCEPTED_WARNINGS.some((w) => w.test(l)));

const docs = (yaml: string): Obj[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o);

describe('deployment assets against a real apiserver with the real CRDs', () => {
  let plane: ControlPlane;
  const rendered = new Map<string, { file: string; objects: Obj[] }>();

  beforeAll(async () => {
    plane = await startControlPlane();
    const sources = await crdFiles();
    const files = sources.flatMap((s) => s.files);
    await kubectlOk(plane, ['apply', '--server-side', ...files.flatMap((f) => ['-f', f])]);
    await waitCrdsEstablished(plane, ['crd', '--all'], 120);
    for (const root of ROOTS) {
      const yaml = await kubectlOk(plane, ['kustomize', join(ROOT, root)]);
      const file = join(plane.dir, `${root.replaceAll('/', '_')}.yaml`);
      await writeFile(file, yaml);
      rendered.set(root, { file, objects: docs(yaml) });
    }
    // Namespaces the manifests create are created for real (objects in them can then be
    // dry-run); the operators' own namespaces (argocd, velero, monitoring) exist where they run.
    const all = [...rendered.values()].flatMap((r) => r.objects);
    const own = all.filter((o) => o.kind === 'Namespace');
    if (own.length)
      await kubectlOk(plane, ['apply', '--server-side', '-f', '-'], {
        input: own.map((o) => `---\n${stringify(o)}`).join(''),
      });
    const needed = new Set(all.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
    for (const ns of needed)
      if (!own.some((o) => o.metadata.name === ns))
        await kubectl(plane, ['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it.each(ROOTS)('%s passes kubectl apply --server-side --dry-run=server', async (root) => {
    const { file, objects } = rendered.get(root)!;
    const r = await kubectl(plane, [
      'apply',
      '--server-side',
      '--dry-run=server',
      '--field-manager=aiops-ci',
      '-f',
      file,
    ]);
    expect(warnings(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const applied = r.stdout
      .split('\n')
      .filter((l) => l.endsWith('serverside-applied (server dry run)'));
    expect(applied).toHaveLength(objects.length);
  });

  it('refuses the ExternalSecret at external-secrets.io/v1beta1 (the pinned CRD serves only v1)', async () => {
    const { objects } = rendered.get('k8s/overlays/prod')!;
    const es = objects.find((o) => o.kind === 'ExternalSecret')!;
    expect(es.apiVersion).toBe('external-secrets.io/v1');
    const old = stringify({ ...es, apiVersion: 'external-secrets.io/v1beta1' });
    const r = await kubectl(plane, ['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: old,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /no matches for kind "ExternalSecret" in version "external-secrets.io\/v1beta1"/,
    );
  });

  describe('Pod Security admission on every rendered pod template', () => {
    const templates = (): { root: string; o: Obj }[] =>
      [...rendered.entries()].flatMap(([root, r]) =>
        r.objects.filter((o) => WORKLOAD_KINDS.has(o.kind)).map((o) => ({ root, o })),
      );

    it('the overlays enforce restricted in their namespaces', async () => {
      for (const ns of ['dev', 'prod']) {
        const n = await plane.admin.request<Obj>('GET', `/api/v1/namespaces/${ns}`);
        expect(n.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      }
      expect(templates().length).toBeGreaterThanOrEqual(6);
    });

    it('admits each workload of each overlay as a pod in its namespace (dry-run create)', async () => {
      // ServiceAccount admission needs the pods' ServiceAccounts: apply the overlays for real.
      for (const root of ROOTS.filter((r) => r.startsWith('k8s/overlays/')))
        await kubectlOk(plane, [
          'apply',
          '--server-side',
          '--field-manager=aiops-ci',
          '-f',
          rendered.get(root)!.file,
        ]);
      const refused: string[] = [];
      for (const { root, o } of templates()) {
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            generateName: `${o.metadata.name}-`,
            labels: o.spec?.template?.metadata?.labels,
          },
          spec: o.spec?.template?.spec,
        };
        await plane.admin
          .request('POST', `/api/v1/namespaces/${o.metadata.namespace}/pods?dryRun=All`, pod)
          .catch((err: KubeApiError) =>
            refused.push(`${root} ${o.kind}/${o.metadata.name}: ${err.message}`),
          );
      }
      expect(refused).toEqual([]);
    });

    it('the same admission refuses a template that drops its securityContext (the check bites)', async () => {
      const { o } = templates().find((t) => t.o.metadata.namespace === 'prod')!;
      const spec = structuredClone(o.spec!.template!.spec) as {
        securityContext?: unknown;
        containers: { securityContext?: unknown }[];
      };
      delete spec.securityContext;
      for (const c of spec.containers) delete c.securityContext;
      const err = await plane.admin
        .request('POST', '/api/v1/namespaces/prod/pods?dryRun=All', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { generateName: 'insecure-' },
          spec,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(403);
      expect((err as KubeApiError).message).toMatch(/violates PodSecurity "restricted:latest"/);
    });
  });
});
