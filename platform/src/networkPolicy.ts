/**
 * NetworkPolicy semantics for the checks that need more than "is the pod selected": would a given
 * peer reach a given pod on a given port, under the standard rules (a pod no Ingress policy selects
 * is open; otherwise some selecting policy must allow the peer and the port). Then two checks on
 * rendered overlays: cert-manager's HTTP-01 solver is reachable from the ingress controller and
 * nothing else, and no policy admits the whole VPC to our pods.
 */
import { cidrContains } from './cidr.js';
import type { Finding } from './errors.js';
import { objectId, type KubeObject } from './kube.js';
import { isEmptySelector, selectorMatches, type LabelSelector } from './selectors.js';

interface PolicyPeer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}
interface PolicyRule {
  from?: PolicyPeer[];
  ports?: { protocol?: string; port?: number | string; endPort?: number }[];
}
interface PolicySpec {
  podSelector?: LabelSelector;
  policyTypes?: string[];
  ingress?: PolicyRule[];
}

/** Who sends: a pod (its namespace's labels and its own) or an address outside the cluster. */
export type Peer =
  | {
      namespace: string;
      namespaceLabels: Record<string, string>;
      podLabels: Record<string, string>;
    }
  | { ip: string };

/** The pod traffic goes to. */
export interface Target {
  namespace: string;
  podLabels: Record<string, string>;
}

const spec = (p: KubeObject): PolicySpec => (p.spec ?? {}) as PolicySpec;

function appliesToIngress(p: KubeObject): boolean {
  const types = spec(p).policyTypes;
  return types === undefined || types.includes('Ingress');
}

function peerMatches(peer: PolicyPeer, from: Peer, policyNamespace: string): boolean {
  if ('ip' in from) {
    if (!peer.ipBlock) return false;
    return (
      cidrContains(peer.ipBlock.cidr, from.ip) &&
      !(peer.ipBlock.except ?? []).some((e) => cidrContains(e, from.ip))
    );
  }
  if (peer.ipBlock) return false;
  const nsOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, from.namespaceLabels)
    : from.namespace === policyNamespace;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, from.podLabels) : true;
  return nsOk && podOk;
}

function portMatches(rule: PolicyRule, port: number): boolean {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some(
    (p) =>
      (p.protocol ?? 'TCP') === 'TCP' &&
      (p.port === undefined ||
        p.port === port ||
        (typeof p.port === 'number' &&
          p.endPort !== undefined &&
          port >= p.port &&
          port <= p.endPort)),
  );
}

/** Whether `from` reaches `to` on TCP `port`, and which policies allow it. */
export function ingressAllowed(
  policies: readonly KubeObject[],
  to: Target,
  from: Peer,
  port: number,
): { allowed: boolean; selected: boolean; by: KubeObject[] } {
  const selecting = policies.filter(
    (p) =>
      p.kind === 'NetworkPolicy' &&
      p.metadata.namespace === to.namespace &&
      appliesToIngress(p) &&
      selectorMatches(spec(p).podSelector ?? {}, to.podLabels),
  );
  if (selecting.length === 0) return { allowed: true, selected: false, by: [] };
  const by = selecting.filter((p) =>
    (spec(p).ingress ?? []).some(
      (r) =>
        portMatches(r, port) &&
        (r.from === undefined ||
          r.from.length === 0 ||
          r.from.some((peer) => peerMatches(peer, from, to.namespace))),
    ),
  );
  return { allowed: by.length > 0, selected: true, by };
}

/** cert-manager's HTTP-01 solver pods: their label and port (acmesolver listens on 8089). */
export const HTTP01_SOLVER = {
  labels: { 'acme.cert-manager.io/http01-solver': 'true' },
  port: 8089,
} as const;

/** The controller pods behind each ingress class whose traffic we can name. */
export const INGRESS_CONTROLLERS: Record<string, Peer> = {
  nginx: {
    namespace: 'ingress-nginx',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
    podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' },
  },
};

/** Any public address: stands for "anyone on the internet" in the solver check. */
const INTERNET: Peer = { ip: '203.0.113.10' };

function checkHttp01Solver(objects: readonly KubeObject[], out: Finding[]): void {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
    const ann = ing.metadata.annotations ?? {};
    if (!ann['cert-manager.io/cluster-issuer'] && !ann['cert-manager.io/issuer']) continue;
    const add = (message: string): void => {
      out.push({ object: objectId(ing), rule: 'acme-http01-solver', message });
    };
    const cls = (ing.spec as { ingressClassName?: string }).ingressClassName ?? '';
    const controller = INGRESS_CONTROLLERS[cls];
    if (!controller) {
      add(`ingress class "${cls}": no known controller pods to check the HTTP-01 solver against`);
      continue;
    }
    const solver: Target = {
      namespace: ing.metadata.namespace ?? '',
      podLabels: { ...HTTP01_SOLVER.labels },
    };
    const r = ingressAllowed(policies, solver, controller, HTTP01_SOLVER.port);
    if (!r.allowed) {
      add(
        `cert-manager's HTTP-01 solver (label acme.cert-manager.io/http01-solver=true, port ${HTTP01_SOLVER.port}) is blocked from the ${cls} controller: the certificate would never issue`,
      );
      continue;
    }
    for (const p of r.by) {
      const sel = spec(p).podSelector;
      if (
        isEmptySelector(sel) ||
        sel?.matchLabels?.['acme.cert-manager.io/http01-solver'] !== 'true'
      ) {
        add(`${objectId(p)} admits the solver port to more pods than the HTTP-01 solver`);
      }
    }
    if (ingressAllowed(policies, solver, INTERNET, HTTP01_SOLVER.port).allowed && r.selected) {
      add('the HTTP-01 solver is reachable from any address, not only from the ingress controller');
    }
  }
}

interface PodTemplateLabels {
  spec?: { template?: { metadata?: { labels?: Record<string, string> } } };
}

function checkVpcWide(objects: readonly KubeObject[], vpcCidr: string, out: Finding[]): void {
  const workloads = objects.filter((o) => /^(Deployment|Rollout|StatefulSet)$/.test(o.kind));
  for (const p of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    const blocks = (spec(p).ingress ?? [])
      .flatMap((r) => r.from ?? [])
      .flatMap((peer) => (peer.ipBlock ? [peer.ipBlock.cidr] : []))
      .filter((cidr) => cidrContains(cidr, vpcCidr));
    if (blocks.length === 0) continue;
    const admitted = workloads
      .filter(
        (w) =>
          w.metadata.namespace === p.metadata.namespace &&
          selectorMatches(
            spec(p).podSelector ?? {},
            (w as PodTemplateLabels).spec?.template?.metadata?.labels ?? {},
          ),
      )
      .map((w) => w.metadata.name);
    if (admitted.length === 0) continue;
    out.push({
      object: objectId(p),
      rule: 'networkpolicy-vpc-wide',
      message: `admits ${blocks.join(', ')} (the whole VPC ${vpcCidr}: every node and pod) to ${admitted.join(', ')}; admit the load balancer's subnets only`,
    });
  }
}

/** NetworkPolicy findings that need the traffic semantics; `vpcCidr` enables the VPC check. */
export function checkNetworkPolicies(
  objects: readonly KubeObject[],
  vpcCidr: string | undefined,
): Finding[] {
  const out: Finding[] = [];
  checkHttp01Solver(objects, out);
  if (vpcCidr) checkVpcWide(objects, vpcCidr, out);
  return out;
}
