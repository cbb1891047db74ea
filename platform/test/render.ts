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

/** A healer module loaded from its TypeScript source, as the healer's own tests load it. */
export const healerModule = async <T>(path: string): Promise<T> =>
  (await import(new URL(`../../healer/src/${path}`, import.meta.url).href)) as T;

/** An environment variable a workload reads from a Secret key. */
export interface SecretEnv {
  name: string;
  secret: string;
  key: string;
  optional: boolean;
}

/** The env entries of a workload's first container that come from a Secret, by name. */
export function secretEnv(workload: KubeObject): SecretEnv[] {
  const env = (
    workload.spec as {
      template: {
        spec: {
          containers: {
            env?: {
              name: string;
              valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
            }[];
          }[];
        };
      };
    }
  ).template.spec.containers[0]!.env;
  return (env ?? [])
    .filter((e) => e.valueFrom?.secretKeyRef)
    .map((e) => {
      const ref = e.valueFrom!.secretKeyRef!;
      return { name: e.name, secret: ref.name, key: ref.key, optional: ref.optional === true };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The paths of the Ingresses that lead to a Service, as `path (pathType)`, sorted. */
export function ingressPathsTo(objects: readonly KubeObject[], service: string): string[] {
  const paths: string[] = [];
  for (const o of objects.filter((x) => x.kind === 'Ingress')) {
    const spec = o.spec as {
      rules: {
        http: {
          paths: { path: string; pathType: string; backend: { service: { name: string } } }[];
        };
      }[];
    };
    for (const rule of spec.rules)
      for (const p of rule.http.paths)
        if (p.backend.service.name === service) paths.push(`${p.path} (${p.pathType})`);
  }
  return paths.sort();
}
