/** Shared by the platform tests: each Kustomize directory rendered once per test file. */
import { kustomize, type KubeObject } from '../src/kube.js';
import { repoPath } from '../src/paths.js';

export const OVERLAYS = [
  'k8s/overlays/dev',
  'k8s/overlays/prod',
  'k8s/overlays/prod-nginx',
] as const;

/** The VPC of infra/variables.tf (terraform.test.ts checks they agree). */
export const VPC_CIDR = '10.0.0.0/16';

export const fixture = (p: string): string => repoPath(`platform/test/fixtures/${p}`);

const rendered = new Map<string, KubeObject[]>();

/** `kubectl kustomize` of a repository directory, cached. Callers that mutate must clone. */
export function render(dir: string): KubeObject[] {
  let objects = rendered.get(dir);
  if (!objects) {
    objects = kustomize(repoPath(dir));
    rendered.set(dir, objects);
  }
  return objects;
}

/** A deep copy of a render, for tests that break it on purpose. */
export const renderCopy = (dir: string): KubeObject[] => render(dir).map((o) => structuredClone(o));

export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
}
