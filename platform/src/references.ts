/**
 * Cross-object references in a rendered overlay: every Service, ServiceMonitor, HPA, PDB and
 * Ingress points at something that exists, by the name and port it uses. A typo in a label or a
 * port name renders and validates fine but leaves a Service with no endpoints; this catches it.
 */
import type { Finding } from './errors.js';
import { objectId, type KubeObject } from './kube.js';
import { selectorMatches } from './policy.js';

interface Port {
  name?: string;
  port?: number;
  containerPort?: number;
  targetPort?: number | string;
}
interface Workload {
  object: KubeObject;
  labels: Record<string, string>;
  ports: Port[];
}

function workloads(objects: readonly KubeObject[]): Workload[] {
  return objects.flatMap((o) => {
    if (o.kind !== 'Deployment' && o.kind !== 'Rollout' && o.kind !== 'StatefulSet') return [];
    const tpl = (
      o.spec as {
        template?: {
          metadata?: { labels?: Record<string, string> };
          spec?: { containers?: { ports?: Port[] }[] };
        };
      }
    ).template;
    return [
      {
        object: o,
        labels: tpl?.metadata?.labels ?? {},
        ports: (tpl?.spec?.containers ?? []).flatMap((c) => c.ports ?? []),
      },
    ];
  });
}

/** Reference findings (rule `reference`) over one rendered overlay. */
export function checkReferences(objects: readonly KubeObject[]): Finding[] {
  const out: Finding[] = [];
  const all = workloads(objects);
  const add = (o: KubeObject, message: string): void => {
    out.push({ object: objectId(o), rule: 'reference', message });
  };
  const inNs = <T extends { metadata: { namespace?: string } }>(
    o: KubeObject,
    list: readonly T[],
  ): T[] => list.filter((x) => x.metadata.namespace === o.metadata.namespace);
  const services = objects.filter((o) => o.kind === 'Service');

  for (const svc of services) {
    const spec = svc.spec as { selector?: Record<string, string>; ports?: Port[] };
    const targets = inNs(
      svc,
      all.map((w) => ({ ...w, metadata: w.object.metadata })),
    ).filter((w) => selectorMatches({ matchLabels: spec.selector ?? {} }, w.labels));
    if (targets.length === 0) {
      add(svc, 'selector matches no workload');
      continue;
    }
    for (const p of spec.ports ?? []) {
      const t = p.targetPort ?? p.port;
      const ok = targets.every((w) =>
        w.ports.some((cp) => (typeof t === 'string' ? cp.name === t : cp.containerPort === t)),
      );
      if (!ok)
        add(svc, `targetPort ${String(t)} is not a container port of every selected workload`);
    }
  }

  for (const sm of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const spec = sm.spec as {
      selector?: { matchLabels?: Record<string, string> };
      endpoints?: { port?: string }[];
    };
    const matched = inNs(sm, services).filter((s) =>
      selectorMatches(spec.selector, s.metadata.labels ?? {}),
    );
    if (matched.length === 0) add(sm, 'selector matches no Service');
    for (const e of spec.endpoints ?? []) {
      const ok = matched.some((s) =>
        ((s.spec as { ports?: Port[] }).ports ?? []).some((p) => p.name === e.port),
      );
      if (!ok) add(sm, `endpoint port ${String(e.port)} is not a port of the selected Service`);
    }
  }

  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ref = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
    const found = inNs(
      hpa,
      all.map((w) => w.object),
    ).some((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    if (!found) add(hpa, `scaleTargetRef ${ref.kind}/${ref.name} does not exist`);
  }

  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const sel = (pdb.spec as { selector?: { matchLabels?: Record<string, string> } }).selector;
    const found = inNs(
      pdb,
      all.map((w) => ({ ...w, metadata: w.object.metadata })),
    ).some((w) => selectorMatches(sel, w.labels));
    if (!found) add(pdb, 'selector matches no workload');
  }

  for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
    const rules = (
      ing.spec as {
        rules?: {
          http?: {
            paths?: {
              backend: { service?: { name: string; port: { name?: string; number?: number } } };
            }[];
          };
        }[];
      }
    ).rules;
    for (const path of (rules ?? []).flatMap((r) => r.http?.paths ?? [])) {
      const ref = path.backend.service;
      if (!ref) continue;
      const svc = inNs(ing, services).find((s) => s.metadata.name === ref.name);
      if (!svc) {
        add(ing, `backend Service ${ref.name} does not exist`);
        continue;
      }
      const ports = (svc.spec as { ports?: Port[] }).ports ?? [];
      if (
        !ports.some((p) => (ref.port.name ? p.name === ref.port.name : p.port === ref.port.number))
      ) {
        add(
          ing,
          `backend Service ${ref.name} has no port ${ref.port.name ?? String(ref.port.number)}`,
        );
      }
    }
  }
  return out;
}
