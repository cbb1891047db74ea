import { badRequest, notFound } from './errors.js';
import { coreToEventsV1, eventsV1ToCore } from './events.js';
import {
  matchesFieldSelector,
  matchesRequirements,
  parseLabelSelector,
  selectorString,
} from './labels.js';
import { apiVersionOf, findResource, type ResourceDef } from './resources.js';
import { storageKey, type ObjectStore } from './store.js';
import type { Deployment, KubeObject } from './types.js';
import { validate } from './validation.js';

export const NAMESPACES = findResource('', 'v1', 'namespaces')!;
export const NODES = findResource('', 'v1', 'nodes')!;
export const PODS = findResource('', 'v1', 'pods')!;
export const EVENTS = findResource('', 'v1', 'events')!;
export const DEPLOYMENTS = findResource('apps', 'v1', 'deployments')!;
export const REPLICASETS = findResource('apps', 'v1', 'replicasets')!;
export const HPAS = findResource('autoscaling', 'v2', 'horizontalpodautoscalers')!;
export const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!;
export const ROLLOUTS = findResource('argoproj.io', 'v1alpha1', 'rollouts')!;

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
}

const isEventsV1 = (def: ResourceDef): boolean => def.group === 'events.k8s.io';

/**
 * The API semantics over the store, shared by the HTTP routes and the controllers: defaulting,
 * validation, generation bumps on spec changes, status kept out of main-resource writes, and the
 * two Event API views.
 */
export class Cluster {
  constructor(readonly store: ObjectStore) {}

  private view(def: ResourceDef, o: KubeObject): KubeObject {
    return isEventsV1(def) ? coreToEventsV1(o) : o;
  }

  private requireNamespace(def: ResourceDef, ns: string | undefined): void {
    if (def.namespaced && !this.store.get(storageKey(NAMESPACES), undefined, ns ?? ''))
      throw notFound(NAMESPACES, ns ?? '');
  }

  list(def: ResourceDef, ns: string | undefined, opts: ListOptions = {}): KubeObject[] {
    return this.select(def, ns, opts).map((o) => this.copyOut(def, o));
  }

  /**
   * The stored objects a list matches, in key order, not copied: for a caller that copies only
   * what it serves (`copyOut`), such as one page of a paged list. Never mutate what it returns.
   */
  select(def: ResourceDef, ns: string | undefined, opts: ListOptions = {}): readonly KubeObject[] {
    const reqs = parseLabelSelector(opts.labelSelector);
    return this.store
      .peek(storageKey(def), def.namespaced ? ns : undefined)
      .filter(
        (o) =>
          matchesRequirements(o.metadata.labels, reqs) &&
          matchesFieldSelector(o, opts.fieldSelector),
      );
  }

  /** A stored object as the API serves it: a copy, in the resource's own version. */
  copyOut(def: ResourceDef, o: KubeObject): KubeObject {
    return this.view(def, structuredClone(o));
  }

  /** Whether an object passes the list filters, for watches. */
  matches(o: KubeObject, opts: ListOptions): boolean {
    return (
      matchesRequirements(o.metadata.labels, parseLabelSelector(opts.labelSelector)) &&
      matchesFieldSelector(o, opts.fieldSelector)
    );
  }

  get(def: ResourceDef, ns: string | undefined, name: string): KubeObject {
    return this.view(
      def,
      this.store.mustGet(storageKey(def), def.namespaced ? ns : undefined, name),
    );
  }

  create(def: ResourceDef, ns: string | undefined, body: KubeObject): KubeObject {
    const obj = this.normalise(def, ns, body);
    this.requireNamespace(def, obj.metadata.namespace);
    if (def.kind === 'Deployment') defaultDeployment(obj as Deployment);
    if (def.kind === 'Rollout') defaultRollout(obj as Deployment);
    validate(def, obj);
    const stored = isEventsV1(def) ? eventsV1ToCore(obj) : obj;
    if (def.kind === 'Deployment' || def.kind === 'ReplicaSet' || def.kind === 'Rollout')
      stored.status = {};
    return this.view(def, this.store.create(storageKey(def), stored));
  }

  /** PUT: `metadata.resourceVersion` set and stale → 409 Conflict. */
  update(def: ResourceDef, ns: string | undefined, name: string, body: KubeObject): KubeObject {
    const obj = this.normalise(def, ns, body);
    if (obj.metadata.name !== name)
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    const cur = this.store.mustGet(storageKey(def), obj.metadata.namespace, name);
    if (def.kind === 'Deployment') defaultDeployment(obj as Deployment);
    if (def.kind === 'Rollout') defaultRollout(obj as Deployment);
    validate(def, obj);
    let stored = isEventsV1(def) ? eventsV1ToCore(obj) : obj;
    if ('status' in cur && def.kind !== 'HorizontalPodAutoscaler')
      stored = { ...stored, status: cur.status };
    const specChanged = JSON.stringify(stored.spec) !== JSON.stringify(cur.spec);
    return this.view(
      def,
      this.store.update(storageKey(def), stored, { bumpGeneration: specChanged && 'spec' in cur }),
    );
  }

  delete(def: ResourceDef, ns: string | undefined, name: string): KubeObject {
    return this.view(
      def,
      this.store.delete(storageKey(def), def.namespaced ? ns : undefined, name),
    );
  }

  /** The `autoscaling/v1` Scale view of a Deployment or a Rollout. */
  getScale(ns: string, name: string, def: ResourceDef = DEPLOYMENTS): KubeObject {
    const d = this.store.mustGet<Deployment>(storageKey(def), ns, name);
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name,
        namespace: ns,
        uid: d.metadata.uid,
        resourceVersion: d.metadata.resourceVersion,
        creationTimestamp: d.metadata.creationTimestamp,
      },
      spec: { replicas: d.spec.replicas ?? 1 },
      status: { replicas: d.status?.replicas ?? 0, selector: selectorString(d.spec.selector) },
    };
  }

  /** Writes a Scale back; its resourceVersion, when set, must be the scaled object's. */
  updateScale(
    ns: string,
    name: string,
    scale: KubeObject,
    def: ResourceDef = DEPLOYMENTS,
  ): KubeObject {
    const d = this.store.mustGet<Deployment>(storageKey(def), ns, name);
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
    const rv = scale.metadata?.resourceVersion;
    const next: Deployment = { ...d, spec: { ...d.spec, replicas: replicas as number } };
    if (rv) next.metadata = { ...next.metadata, resourceVersion: rv };
    validate(def, next);
    this.store.update(storageKey(def), next, {
      bumpGeneration: replicas !== d.spec.replicas,
    });
    return this.getScale(ns, name, def);
  }

  private normalise(def: ResourceDef, ns: string | undefined, body: KubeObject): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the request body must be a JSON object');
    const metadata = { ...(body.metadata ?? {}) } as KubeObject['metadata'];
    if (def.namespaced) {
      if (metadata.namespace && ns && metadata.namespace !== ns)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      metadata.namespace = ns ?? metadata.namespace;
    } else delete metadata.namespace;
    return { ...body, apiVersion: apiVersionOf(def), kind: def.kind, metadata };
  }
}

/** Server-side defaults a real apiserver fills for a Deployment. */
export function defaultDeployment(d: Deployment): void {
  if (!d.spec || typeof d.spec !== 'object') return;
  d.spec.replicas ??= 1;
  d.spec.revisionHistoryLimit ??= 10;
  d.spec.progressDeadlineSeconds ??= 600;
  d.spec.strategy ??= {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
  };
  if (d.spec.strategy.type === undefined) d.spec.strategy.type = 'RollingUpdate';
  for (const c of d.spec.template?.spec?.containers ?? [])
    for (const kind of ['limits', 'requests'] as const) {
      const cpu = c.resources?.[kind]?.cpu;
      if (cpu !== undefined) c.resources![kind]!.cpu = canonicalCpu(cpu);
    }
}

/** The defaults Argo's CRD schema and controller give a Rollout (no strategy defaults). */
export function defaultRollout(r: Deployment): void {
  if (!r.spec || typeof r.spec !== 'object') return;
  r.spec.replicas ??= 1;
  r.spec.revisionHistoryLimit ??= 10;
  r.spec.progressDeadlineSeconds ??= 600;
}

/** The apiserver's canonical CPU quantity: `1000m` → `1`, `0.5` → `500m`. */
export function canonicalCpu(q: string): string {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(q));
  if (!m) return q;
  const milli = Math.round(m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
