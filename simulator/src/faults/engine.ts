import type { Clock } from '../clock.js';
import { DEPLOYMENTS, PODS, REPLICASETS, ROLLOUTS, type Cluster } from '../cluster/cluster.js';
import { ApiError, badRequest, notFound } from '../cluster/errors.js';
import { storageKey } from '../cluster/store.js';
import type { Deployment, Pod, ReplicaSet } from '../cluster/types.js';
import {
  combineEffects,
  FAULT_KINDS,
  FAULT_MODELS,
  type FaultActuator,
  type FaultContext,
  type FaultKind,
  type SignalEffect,
} from './index.js';

export interface FaultRequest {
  namespace: string;
  deployment: string;
  kind: FaultKind;
  params?: Record<string, number>;
}

export type FaultState = 'active' | 'cured' | 'expired';

/** An injected fault and what the simulator bound it to. */
export interface ActiveFault {
  id: string;
  namespace: string;
  deployment: string;
  kind: FaultKind;
  params: Record<string, number>;
  injectedAt: string;
  state: FaultState;
  endedAt?: string;
  cures: string[];
  cureNote: string;
  /** `pods` scope: uids of the pods it hit. */
  podUids?: string[];
  /** `image` scope: the bad image it rolled out. */
  image?: string;
  /** `node` scope: the node it took down. */
  node?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Validates a `POST /sim/faults` body; every error names the field and the rule. */
export function parseFaultRequest(body: unknown): FaultRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('body: must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const f of ['namespace', 'deployment', 'kind'] as const)
    if (typeof b[f] !== 'string' || b[f] === '')
      throw badRequest(`${f}: required non-empty string`);
  if (!(FAULT_KINDS as readonly string[]).includes(b.kind as string))
    throw badRequest(`kind: must be one of ${FAULT_KINDS.join(', ')}; got "${String(b.kind)}"`);
  const kind = b.kind as FaultKind;
  const params: Record<string, number> = {};
  if (b.params !== undefined) {
    if (typeof b.params !== 'object' || b.params === null || Array.isArray(b.params))
      throw badRequest('params: must be an object of numbers');
    const known = FAULT_MODELS[kind].defaults;
    for (const [k, v] of Object.entries(b.params)) {
      if (!(k in known))
        throw badRequest(
          `params.${k}: unknown for ${kind}; known: ${Object.keys(known).join(', ')}`,
        );
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw badRequest(`params.${k}: must be a finite number >= 0; got ${JSON.stringify(v)}`);
      params[k] = v;
    }
  }
  return { namespace: b.namespace as string, deployment: b.deployment as string, kind, params };
}

/** Bumps an image tag's patch version: `app:1.4.2` → `app:1.4.3` (else appends `-next`). */
export function nextImage(image: string): string {
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)$/.exec(image);
  return m ? `${m[1]}${m[2]}.${m[3]}.${Number(m[4]) + 1}` : `${image}-next`;
}

/**
 * Holds injected faults, binds each to what it hits (pods, image, node, cache) and answers the
 * kubelet's question "what is wrong with this pod now?". Cures happen through the API: replaced
 * pods no longer carry a `pods` fault, a rollback leaves a bad image behind, a cache clear
 * through pods/proxy or pods/exec cures a poisoned cache. It reads the cluster from `cluster`
 * (the simulator's own store, or the node agent's mirror of a real apiserver) and changes it
 * only through `actuator`, so the same engine drives both.
 */
export class FaultEngine {
  private readonly faults: ActiveFault[] = [];
  private seq = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly clock: Clock,
    private readonly actuator: FaultActuator,
  ) {}

  list(): ActiveFault[] {
    return structuredClone(this.faults);
  }

  inject(req: FaultRequest): ActiveFault {
    const d = this.workload(req.namespace, req.deployment);
    if (!d) throw notFound(DEPLOYMENTS, req.deployment);
    const model = FAULT_MODELS[req.kind];
    const fault: ActiveFault = {
      id: `f${++this.seq}`,
      namespace: req.namespace,
      deployment: req.deployment,
      kind: req.kind,
      params: { ...model.defaults, ...(req.params ?? {}) },
      injectedAt: iso(this.clock.now()),
      state: 'active',
      cures: model.cures,
      cureNote: model.cureNote,
    };
    const pods = this.podsOf(d);
    if (model.scope === 'pods') fault.podUids = pods.map((p) => p.metadata.uid);
    if (model.scope === 'image') {
      fault.image = nextImage(d.spec.template.spec.containers[0]!.image);
      this.actuator.release(d, fault.image, `release ${fault.image}`);
    }
    if (model.scope === 'node') {
      const counts = new Map<string, number>();
      for (const p of pods)
        if (p.spec.nodeName) counts.set(p.spec.nodeName, (counts.get(p.spec.nodeName) ?? 0) + 1);
      const node = [...counts.entries()].sort(
        (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
      )[0]?.[0];
      if (!node)
        throw new ApiError(
          409,
          'Conflict',
          `node_loss: deployment ${req.namespace}/${req.deployment} has no scheduled pods`,
        );
      fault.node = node;
      this.actuator.setNodeReady(node, false);
    }
    this.faults.push(fault);
    return structuredClone(fault);
  }

  remove(id: string): ActiveFault {
    const i = this.faults.findIndex((f) => f.id === id);
    if (i < 0)
      throw new ApiError(404, 'NotFound', `fault "${id}" not found`, { name: id, kind: 'faults' });
    const [f] = this.faults.splice(i, 1);
    this.end(f!);
    return f!;
  }

  /** A cache clear reached a pod: cures poisoned_cache faults of the pod's deployment. */
  clearCache(namespace: string, podName: string): number {
    const dep = this.deploymentOfPod(namespace, podName);
    let cured = 0;
    for (const f of this.faults)
      if (
        f.kind === 'poisoned_cache' &&
        f.state === 'active' &&
        f.namespace === namespace &&
        f.deployment === dep
      ) {
        f.state = 'cured';
        f.endedAt = iso(this.clock.now());
        cured++;
      }
    return cured;
  }

  /** Combined effect of active faults on one pod. */
  effectsFor(
    pod: Pod,
    deployment: string | undefined,
    ctx: Omit<FaultContext, 'elapsedSec'>,
  ): Required<SignalEffect> {
    const now = this.clock.now();
    const effects: SignalEffect[] = [];
    for (const f of this.faults) {
      if (f.state !== 'active' || !this.hits(f, pod, deployment)) continue;
      effects.push(
        FAULT_MODELS[f.kind].effect(f.params, {
          ...ctx,
          elapsedSec: (now - Date.parse(f.injectedAt)) / 1000,
        }),
      );
    }
    return combineEffects(effects);
  }

  /** Expires timed faults and marks faults whose targets are gone as cured. */
  step(): void {
    const now = this.clock.now();
    for (const f of this.faults) {
      if (f.state !== 'active') continue;
      const dur = f.params.durationSec ?? 0;
      if (dur > 0 && now - Date.parse(f.injectedAt) >= dur * 1000) {
        f.state = 'expired';
        this.end(f);
        continue;
      }
      const d = this.workload(f.namespace, f.deployment);
      const pods = d ? this.podsOf(d) : [];
      const cured =
        (f.podUids !== undefined && !pods.some((p) => f.podUids!.includes(p.metadata.uid))) ||
        (f.image !== undefined &&
          !pods.some((p) => p.spec.containers.some((c) => c.image === f.image)) &&
          d?.spec.template.spec.containers[0]?.image !== f.image) ||
        (f.node !== undefined && !pods.some((p) => p.spec.nodeName === f.node));
      if (cured) {
        f.state = 'cured';
        f.endedAt = iso(now);
      }
    }
  }

  private end(f: ActiveFault): void {
    f.endedAt ??= iso(this.clock.now());
    if (f.node && !this.faults.some((o) => o !== f && o.node === f.node && o.state === 'active'))
      this.actuator.setNodeReady(f.node, true);
  }

  private hits(f: ActiveFault, pod: Pod, deployment: string | undefined): boolean {
    if (f.node !== undefined) return pod.spec.nodeName === f.node;
    if (f.namespace !== pod.metadata.namespace || f.deployment !== deployment) return false;
    if (f.podUids) return f.podUids.includes(pod.metadata.uid);
    if (f.image) return pod.spec.containers.some((c) => c.image === f.image);
    return true;
  }

  private podsOf(d: Deployment): Pod[] {
    const store = this.cluster.store;
    const rsUids = new Set(
      store
        .peek<ReplicaSet>(storageKey(REPLICASETS), d.metadata.namespace)
        .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid))
        .map((rs) => rs.metadata.uid),
    );
    return store
      .peek<Pod>(storageKey(PODS), d.metadata.namespace)
      .filter((p) => p.metadata.ownerReferences?.some((o) => rsUids.has(o.uid)));
  }

  private deploymentOfPod(namespace: string, podName: string): string | undefined {
    const store = this.cluster.store;
    const pod = store.get<Pod>(storageKey(PODS), namespace, podName);
    const rsName = pod?.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
    const rs = rsName
      ? store.get<ReplicaSet>(storageKey(REPLICASETS), namespace, rsName)
      : undefined;
    return rs?.metadata.ownerReferences?.find(
      (o) => o.kind === 'Deployment' || o.kind === 'Rollout',
    )?.name;
  }

  /** The Deployment of that name, else the Argo Rollout (faults bind to either's pods). */
  private workload(namespace: string, name: string): Deployment | undefined {
    const store = this.cluster.store;
    return (
      store.get<Deployment>(storageKey(DEPLOYMENTS), namespace, name) ??
      store.get<Deployment>(storageKey(ROLLOUTS), namespace, name)
    );
  }
}
