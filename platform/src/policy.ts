/**
 * Policy checks over rendered objects: the Pod Security "restricted" profile and our own rules
 * (resources, probes, pinned images, PDB and NetworkPolicy coverage, least-privilege RBAC, exec
 * only through the cache-clear component, current API versions, digests in production, a
 * reachable HTTP-01 solver, no VPC-wide ingress). Pure functions of the objects: each broken rule
 * is one finding that names the object, the container and the field.
 */
import type { Finding } from './errors.js';
import { objectId, type KubeObject } from './kube.js';
import { checkNetworkPolicies } from './networkPolicy.js';
import { isEmptySelector, selectorMatches, type LabelSelector } from './selectors.js';

export { selectorMatches };

/** Rule ids, so tests can assert that a fixture breaks exactly the rule it is meant to. */
export const RULES = [
  'non-root',
  'read-only-root-fs',
  'no-privilege-escalation',
  'drop-all-capabilities',
  'seccomp-runtime-default',
  'no-host-namespaces',
  'resources',
  'probes',
  'image-pinned',
  'pdb-coverage',
  'networkpolicy-coverage',
  'rbac-no-wildcards',
  'rbac-no-secrets',
  'pss-restricted',
  'image-digest',
  'current-api-versions',
  'exec-opt-in',
  'acme-http01-solver',
  'networkpolicy-vpc-wide',
] as const;
export type RuleId = (typeof RULES)[number];

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
}
interface Container {
  name: string;
  image?: string;
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: PodSpec;
}

/** Kinds whose pods we run, and where their pod template is. */
const WORKLOAD_KINDS = new Set(['Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

function podTemplate(o: KubeObject): PodTemplate | undefined {
  if (!WORKLOAD_KINDS.has(o.kind)) return undefined;
  const spec = o.spec as { template?: PodTemplate } | undefined;
  return spec?.template;
}

/** A tag other than `latest`, or a digest. */
export function isPinnedImage(image: string | undefined): boolean {
  if (!image) return false;
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon < 0) return false;
  const tag = lastSegment.slice(colon + 1);
  return tag !== '' && tag !== 'latest';
}

function checkContainer(
  id: string,
  pod: PodSpec,
  c: Container,
  isInit: boolean,
  out: Finding[],
): void {
  const at = `${id} container ${c.name}`;
  const psc = pod.securityContext ?? {};
  const csc = c.securityContext ?? {};
  const add = (rule: RuleId, message: string): void => {
    out.push({ object: at, rule, message });
  };
  const runAsNonRoot = csc.runAsNonRoot ?? psc.runAsNonRoot;
  const runAsUser = csc.runAsUser ?? psc.runAsUser;
  if (runAsNonRoot !== true) add('non-root', 'securityContext.runAsNonRoot must be true');
  if (runAsUser === undefined || !Number.isInteger(runAsUser) || runAsUser <= 0) {
    add(
      'non-root',
      `securityContext.runAsUser must be a numeric non-zero UID, got ${String(runAsUser)}`,
    );
  }
  if (csc.readOnlyRootFilesystem !== true) {
    add('read-only-root-fs', 'securityContext.readOnlyRootFilesystem must be true');
  }
  if (csc.allowPrivilegeEscalation !== false) {
    add('no-privilege-escalation', 'securityContext.allowPrivilegeEscalation must be false');
  }
  if (csc.privileged === true)
    add('no-privilege-escalation', 'securityContext.privileged must not be true');
  if (!(csc.capabilities?.drop ?? []).includes('ALL')) {
    add('drop-all-capabilities', 'securityContext.capabilities.drop must include ALL');
  }
  if ((csc.capabilities?.add ?? []).length > 0) {
    add(
      'drop-all-capabilities',
      `securityContext.capabilities.add must be empty, got ${csc.capabilities?.add?.join(',')}`,
    );
  }
  const seccomp = csc.seccompProfile?.type ?? psc.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault') {
    add(
      'seccomp-runtime-default',
      `seccompProfile.type must be RuntimeDefault, got ${String(seccomp)}`,
    );
  }
  for (const kind of ['requests', 'limits'] as const) {
    for (const res of ['cpu', 'memory']) {
      if (c.resources?.[kind]?.[res] === undefined)
        add('resources', `resources.${kind}.${res} is missing`);
    }
  }
  if (!isInit) {
    if (!c.livenessProbe) add('probes', 'livenessProbe is missing');
    if (!c.readinessProbe) add('probes', 'readinessProbe is missing');
  }
  if (!isPinnedImage(c.image)) {
    add(
      'image-pinned',
      `image must have a tag other than latest or a digest, got ${String(c.image)}`,
    );
  }
}

function checkWorkloads(objects: readonly KubeObject[], out: Finding[]): void {
  const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  const netpols = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const o of objects) {
    const tpl = podTemplate(o);
    if (!tpl?.spec) continue;
    const id = objectId(o);
    const pod = tpl.spec;
    for (const flag of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (pod[flag] === true)
        out.push({
          object: id,
          rule: 'no-host-namespaces',
          message: `spec.${flag} must not be true`,
        });
    }
    for (const c of pod.containers ?? []) checkContainer(id, pod, c, false, out);
    for (const c of pod.initContainers ?? []) checkContainer(id, pod, c, true, out);

    if (o.kind === 'DaemonSet') continue;
    const labels = tpl.metadata?.labels ?? {};
    const ns = o.metadata.namespace;
    const sameNs = (x: KubeObject): boolean => x.metadata.namespace === ns;
    const coveredByPdb = pdbs.some(
      (p) =>
        sameNs(p) && selectorMatches((p.spec as { selector?: LabelSelector }).selector, labels),
    );
    if (!coveredByPdb)
      out.push({
        object: id,
        rule: 'pdb-coverage',
        message: 'no PodDisruptionBudget selects its pods',
      });
    const nsPolicies = netpols.filter(sameNs);
    const sel = (p: KubeObject): LabelSelector | undefined =>
      (p.spec as { podSelector?: LabelSelector }).podSelector;
    const defaultDeny = nsPolicies.some((p) => {
      const spec = p.spec as {
        podSelector?: LabelSelector;
        ingress?: unknown[];
        egress?: unknown[];
        policyTypes?: string[];
      };
      return (
        isEmptySelector(spec.podSelector) &&
        (spec.policyTypes ?? []).includes('Ingress') &&
        (spec.policyTypes ?? []).includes('Egress') &&
        (spec.ingress ?? []).length === 0 &&
        (spec.egress ?? []).length === 0
      );
    });
    const specific = nsPolicies.some(
      (p) => !isEmptySelector(sel(p)) && selectorMatches(sel(p), labels),
    );
    if (!defaultDeny)
      out.push({
        object: id,
        rule: 'networkpolicy-coverage',
        message: 'no default-deny NetworkPolicy in its namespace',
      });
    if (!specific)
      out.push({
        object: id,
        rule: 'networkpolicy-coverage',
        message: 'no NetworkPolicy selects its pods specifically',
      });
  }
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  nonResourceURLs?: string[];
}

function checkRbac(objects: readonly KubeObject[], out: Finding[]): void {
  for (const o of objects) {
    if (o.kind !== 'Role' && o.kind !== 'ClusterRole') continue;
    const id = objectId(o);
    const rules = (o.rules as PolicyRule[] | undefined) ?? [];
    rules.forEach((r, i) => {
      for (const field of ['apiGroups', 'resources', 'verbs', 'nonResourceURLs'] as const) {
        if ((r[field] ?? []).some((v) => v.includes('*'))) {
          out.push({
            object: id,
            rule: 'rbac-no-wildcards',
            message: `rules[${i}].${field} contains a wildcard`,
          });
        }
      }
      const coreGroup = (r.apiGroups ?? []).includes('');
      if (
        coreGroup &&
        (r.resources ?? []).some((res) => res === 'secrets' || res.startsWith('secrets/'))
      ) {
        out.push({
          object: id,
          rule: 'rbac-no-secrets',
          message: `rules[${i}] grants access to secrets`,
        });
      }
    });
  }
}

function checkNamespaces(objects: readonly KubeObject[], out: Finding[]): void {
  for (const o of objects) {
    if (o.kind !== 'Namespace') continue;
    const labels = o.metadata.labels ?? {};
    if (labels['pod-security.kubernetes.io/enforce'] !== 'restricted') {
      out.push({
        object: objectId(o),
        rule: 'pss-restricted',
        message: `label pod-security.kubernetes.io/enforce must be restricted, got ${String(labels['pod-security.kubernetes.io/enforce'])}`,
      });
    }
  }
}

/** What an environment adds to the base rules. */
export interface PolicyOptions {
  /** Production: every image must be pinned by digest (`image@sha256:…`), not by tag. */
  requireImageDigests?: boolean;
  /** The cluster's VPC: no NetworkPolicy may admit all of it to our pods. */
  vpcCidr?: string;
}

/** API versions that are deprecated or removed, and what replaces them. */
export const OUTDATED_API_VERSIONS: Record<string, string> = {
  'external-secrets.io/v1alpha1': 'external-secrets.io/v1',
  'external-secrets.io/v1beta1': 'external-secrets.io/v1',
  'extensions/v1beta1': 'apps/v1 or networking.k8s.io/v1',
  'networking.k8s.io/v1beta1': 'networking.k8s.io/v1',
  'policy/v1beta1': 'policy/v1',
  'autoscaling/v2beta1': 'autoscaling/v2',
  'autoscaling/v2beta2': 'autoscaling/v2',
  'batch/v1beta1': 'batch/v1',
  'rbac.authorization.k8s.io/v1beta1': 'rbac.authorization.k8s.io/v1',
  'admissionregistration.k8s.io/v1beta1': 'admissionregistration.k8s.io/v1',
  'admissionregistration.k8s.io/v1alpha1': 'admissionregistration.k8s.io/v1',
  'cert-manager.io/v1alpha2': 'cert-manager.io/v1',
  'monitoring.coreos.com/v1alpha1': 'monitoring.coreos.com/v1',
};

function checkImageDigests(objects: readonly KubeObject[], out: Finding[]): void {
  for (const o of objects) {
    const pod = podTemplate(o)?.spec;
    for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      if (!/@sha256:[a-f0-9]{64}$/.test(c.image ?? '')) {
        out.push({
          object: `${objectId(o)} container ${c.name}`,
          rule: 'image-digest',
          message: `production images are pinned by digest (image@sha256:…), got ${String(c.image)}`,
        });
      }
    }
  }
}

function checkApiVersions(objects: readonly KubeObject[], out: Finding[]): void {
  for (const o of objects) {
    const current = OUTDATED_API_VERSIONS[o.apiVersion];
    if (current) {
      out.push({
        object: objectId(o),
        rule: 'current-api-versions',
        message: `${o.apiVersion} is deprecated or removed; use ${current}`,
      });
    }
  }
}

/** The label that marks the cache-clear component's Role (k8s/components/cache-clear). */
export const CACHE_CLEAR_COMPONENT = { 'app.kubernetes.io/component': 'cache-clear' } as const;
const EXEC_RESOURCES = ['pods/exec', 'pods/attach', 'pods/proxy'];

/**
 * Exec is opt-in: only the cache-clear component's Role may grant pods/exec, attach or proxy, and
 * a namespace that turns the cache-clear rung on (ConfigMap ladder or a Deployment's
 * aiops.io/ladder annotation) must have that Role, or every cache clear would fail with 403.
 */
function checkExecOptIn(objects: readonly KubeObject[], out: Finding[]): void {
  const isComponentRole = (o: KubeObject): boolean =>
    o.kind === 'Role' &&
    o.metadata.labels?.['app.kubernetes.io/component'] ===
      CACHE_CLEAR_COMPONENT['app.kubernetes.io/component'];
  for (const o of objects) {
    if (o.kind !== 'Role' && o.kind !== 'ClusterRole') continue;
    const rules = (o.rules as PolicyRule[] | undefined) ?? [];
    const exec = rules.some(
      (r) =>
        (r.apiGroups ?? []).includes('') &&
        (r.resources ?? []).some((res) => EXEC_RESOURCES.includes(res)),
    );
    if (exec && !isComponentRole(o)) {
      out.push({
        object: objectId(o),
        rule: 'exec-opt-in',
        message: `grants ${EXEC_RESOURCES.join('/')} outside the cache-clear component (k8s/components/cache-clear): exec must be opted in per namespace`,
      });
    }
  }
  const namespacesWithRole = new Set(
    objects.filter(isComponentRole).map((o) => o.metadata.namespace),
  );
  for (const o of objects) {
    const ladders: string[] = [];
    if (o.kind === 'ConfigMap' && o.metadata.name === 'aiops-healer') {
      const config = (o.data as Record<string, string> | undefined)?.['config.yaml'] ?? '';
      if (/cache_clear_restart/.test(config)) ladders.push("the healer ConfigMap's ladder");
    }
    if (/^(Deployment|Rollout)$/.test(o.kind)) {
      if ((o.metadata.annotations?.['aiops.io/ladder'] ?? '').includes('cache_clear_restart')) {
        ladders.push('its aiops.io/ladder annotation');
      }
    }
    if (ladders.length > 0 && !namespacesWithRole.has(o.metadata.namespace)) {
      out.push({
        object: objectId(o),
        rule: 'exec-opt-in',
        message: `${ladders.join(' and ')} turns the cache-clear rung on, but the namespace has no cache-clear Role (add k8s/components/cache-clear)`,
      });
    }
  }
}

/** Every policy finding over a rendered set of objects (an overlay's output). */
export function checkPolicies(
  objects: readonly KubeObject[],
  options: PolicyOptions = {},
): Finding[] {
  const out: Finding[] = [];
  checkWorkloads(objects, out);
  checkRbac(objects, out);
  checkNamespaces(objects, out);
  checkApiVersions(objects, out);
  checkExecOptIn(objects, out);
  if (options.requireImageDigests) checkImageDigests(objects, out);
  out.push(...checkNetworkPolicies(objects, options.vpcCidr));
  return out;
}
