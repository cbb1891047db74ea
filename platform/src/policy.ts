/**
 * Policy checks over rendered objects: the Pod Security "restricted" profile and our own rules
 * (resources, probes, pinned images, PDB and NetworkPolicy coverage, least-privilege RBAC).
 * Pure functions of the objects: each broken rule is one finding that names the object, the
 * container and the field.
 */
import type { Finding } from './errors.js';
import { objectId, type KubeObject } from './kube.js';

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
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kinds whose pods we run, and where their pod template is. */
const WORKLOAD_KINDS = new Set(['Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

function podTemplate(o: KubeObject): PodTemplate | undefined {
  if (!WORKLOAD_KINDS.has(o.kind)) return undefined;
  const spec = o.spec as { template?: PodTemplate } | undefined;
  return spec?.template;
}

/** Whether a label selector matches a label set (an empty selector matches everything). */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(value as string))) return false;
    if (e.operator === 'NotIn' && has && values.includes(value as string)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function isEmptySelector(s: LabelSelector | undefined): boolean {
  return (
    !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0)
  );
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

/** Every policy finding over a rendered set of objects (an overlay's output). */
export function checkPolicies(objects: readonly KubeObject[]): Finding[] {
  const out: Finding[] = [];
  checkWorkloads(objects, out);
  checkRbac(objects, out);
  checkNamespaces(objects, out);
  return out;
}
