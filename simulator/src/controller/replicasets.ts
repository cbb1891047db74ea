import type { Rng } from '../rng.js';
import {
  DEPLOYMENTS,
  NODES,
  PODS,
  REPLICASETS,
  ROLLOUTS,
  type Cluster,
} from '../cluster/cluster.js';
import { storageKey } from '../cluster/store.js';
import { newMeta, type Node, type Pod, type ReplicaSet } from '../cluster/types.js';
import type { EventRecorder } from './recorder.js';

const PKEY = storageKey(PODS);
const RSKEY = storageKey(REPLICASETS);

export function isPodReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function isNodeReady(n: Node): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The ReplicaSet controller: keeps `spec.replicas` pods per ReplicaSet and garbage-collects orphans. */
export class ReplicaSetController {
  constructor(
    private readonly cluster: Cluster,
    private readonly rng: Rng,
    private readonly events: EventRecorder,
  ) {}

  reconcile(): void {
    const store = this.cluster.store;
    const ownerUids = new Set(
      [...store.peek(storageKey(DEPLOYMENTS)), ...store.peek(storageKey(ROLLOUTS))].map(
        (d) => d.metadata.uid,
      ),
    );
    const pods = store.peek<Pod>(PKEY);
    const byOwner = new Map<string, Pod[]>();
    for (const p of pods)
      for (const o of p.metadata.ownerReferences ?? []) {
        const list = byOwner.get(o.uid);
        if (list) list.push(p);
        else byOwner.set(o.uid, [p]);
      }
    const rsUids = new Set<string>();
    for (const rs of store.peek<ReplicaSet>(RSKEY)) {
      const owner = rs.metadata.ownerReferences?.find((o) => o.controller);
      if (
        owner &&
        (owner.kind === 'Deployment' || owner.kind === 'Rollout') &&
        !ownerUids.has(owner.uid)
      ) {
        store.delete(RSKEY, rs.metadata.namespace, rs.metadata.name);
        continue;
      }
      rsUids.add(rs.metadata.uid);
      this.sync(rs, [...(byOwner.get(rs.metadata.uid) ?? [])]);
    }
    for (const p of pods) {
      const owner = p.metadata.ownerReferences?.find((o) => o.controller);
      if (owner && !rsUids.has(owner.uid) && store.get(PKEY, p.metadata.namespace, p.metadata.name))
        store.delete(PKEY, p.metadata.namespace, p.metadata.name);
    }
    this.schedulePending();
  }

  /** The scheduler's part: binds pods created without a node (bare pods, or when none was ready). */
  private schedulePending(): void {
    for (const p of this.cluster.store.peek<Pod>(PKEY)) {
      if (p.spec.nodeName) continue;
      const nodeName = this.pickNode();
      if (!nodeName) return;
      this.cluster.store.mutate<Pod>(PKEY, p.metadata.namespace, p.metadata.name, (x) => {
        x.spec.nodeName = nodeName;
        x.status = {
          ...(x.status ?? { phase: 'Pending' }),
          conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null }],
        };
      });
    }
  }

  private sync(rs: ReplicaSet, pods: Pod[]): void {
    const want = rs.spec.replicas ?? 0;
    if (pods.length < want) for (let i = pods.length; i < want; i++) pods.push(this.createPod(rs));
    if (pods.length > want) {
      // Not-ready pods go first, then the youngest, as the real controller ranks them.
      const victims = [...pods]
        .sort(
          (a, b) =>
            Number(isPodReady(a)) - Number(isPodReady(b)) ||
            b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp),
        )
        .slice(0, pods.length - want);
      for (const v of victims) {
        this.cluster.store.delete(PKEY, v.metadata.namespace, v.metadata.name);
        this.events.record(
          rs,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${v.metadata.name}`,
          'replicaset-controller',
        );
      }
      pods = pods.filter((p) => !victims.includes(p));
    }
    const ready = pods.filter(isPodReady).length;
    const status = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation,
    };
    if (JSON.stringify(rs.status) !== JSON.stringify(status))
      this.cluster.store.mutate<ReplicaSet>(RSKEY, rs.metadata.namespace, rs.metadata.name, (x) => {
        x.status = status;
      });
  }

  /** Schedules onto the ready node with the fewest pods. */
  private pickNode(): string | undefined {
    const nodes = this.cluster.store.peek<Node>(storageKey(NODES)).filter(isNodeReady);
    if (nodes.length === 0) return undefined;
    const counts = new Map(nodes.map((n) => [n.metadata.name, 0]));
    for (const p of this.cluster.store.peek<Pod>(PKEY)) {
      const n = p.spec.nodeName;
      if (n && counts.has(n)) counts.set(n, counts.get(n)! + 1);
    }
    return [...counts.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0]![0];
  }

  private createPod(rs: ReplicaSet): Pod {
    const t = rs.spec.template;
    const nodeName = this.pickNode();
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: newMeta({
        name: `${rs.metadata.name}-${this.rng.suffix(5)}`,
        namespace: rs.metadata.namespace,
        labels: { ...(t.metadata?.labels ?? {}) },
        annotations: { ...(t.metadata?.annotations ?? {}) },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: rs.metadata.name,
            uid: rs.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      }),
      spec: { ...structuredClone(t.spec), ...(nodeName ? { nodeName } : {}) },
      status: {
        phase: 'Pending',
        qosClass: 'Burstable',
        conditions: [
          { type: 'PodScheduled', status: nodeName ? 'True' : 'False', lastProbeTime: null },
        ],
      },
    };
    const created = this.cluster.store.create(PKEY, pod);
    this.events.record(
      rs,
      'Normal',
      'SuccessfulCreate',
      `Created pod: ${created.metadata.name}`,
      'replicaset-controller',
    );
    return created;
  }
}
