import type { Clock } from '../clock.js';
import { DEPLOYMENTS, REPLICASETS, type Cluster } from '../cluster/cluster.js';
import { storageKey } from '../cluster/store.js';
import {
  newMeta,
  type Condition,
  type Deployment,
  type DeploymentStatus,
  type ReplicaSet,
} from '../cluster/types.js';
import { podTemplateHash } from './hash.js';
import type { EventRecorder } from './recorder.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
/** Deployment annotations not copied to its ReplicaSets (as in the real controller). */
const NOT_COPIED = new Set([
  REVISION,
  REVISION_HISTORY,
  DESIRED,
  MAX,
  'kubectl.kubernetes.io/last-applied-configuration',
]);

const DKEY = storageKey(DEPLOYMENTS);
const RSKEY = storageKey(REPLICASETS);

export function revisionOf(rs: ReplicaSet): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0) || 0;
}

/** `maxSurge`/`maxUnavailable`: an int or a percentage of `replicas`. */
export function resolveIntOrPercent(
  v: number | string | undefined,
  replicas: number,
  roundUp: boolean,
  dflt: string,
): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) return Number(x) || 0;
  const f = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(f) : Math.floor(f);
}

/** The ReplicaSets a deployment controls: the store's own objects, read-only (copy to change). */
export function ownedReplicaSets(cluster: Cluster, d: Deployment): ReplicaSet[] {
  return cluster.store
    .ownedBy<ReplicaSet>(RSKEY, d.metadata.uid)
    .filter((rs) => rs.metadata.namespace === d.metadata.namespace);
}

/**
 * The Deployment controller: one ReplicaSet per pod-template hash with revision annotations, a
 * rolling update bounded by maxSurge/maxUnavailable (or Recreate), and the status fields
 * `kubectl rollout status` reads.
 */
export class DeploymentController {
  /** When each deployment last made rollout progress, for ProgressDeadlineExceeded. */
  private readonly progressAt = new Map<string, number>();
  /** Template hash per deployment uid; a template change always bumps the generation. */
  private readonly hashes = new Map<string, { generation: number; hash: string }>();

  private templateHash(d: Deployment): string {
    const generation = d.metadata.generation ?? 0;
    const cached = this.hashes.get(d.metadata.uid);
    if (cached?.generation === generation) return cached.hash;
    const hash = podTemplateHash(d.spec.template);
    this.hashes.set(d.metadata.uid, { generation, hash });
    return hash;
  }

  constructor(
    private readonly cluster: Cluster,
    private readonly clock: Clock,
    private readonly events: EventRecorder,
  ) {}

  reconcile(): void {
    for (const d of this.cluster.store.peek<Deployment>(DKEY)) this.sync(d);
  }

  private sync(d: Deployment): void {
    const ns = d.metadata.namespace!;
    const all = ownedReplicaSets(this.cluster, d);
    const hash = this.templateHash(d);
    let newRS = all.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const maxRev = Math.max(0, ...all.map(revisionOf));
    const R = d.spec.replicas ?? 1;
    const surge = resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge, R, true, '25%');
    let unavail = resolveIntOrPercent(
      d.spec.strategy?.rollingUpdate?.maxUnavailable,
      R,
      false,
      '25%',
    );
    if (surge === 0 && unavail === 0) unavail = 1;

    if (d.spec.paused) return this.writeStatus(d, all, newRS, R, unavail);

    if (!newRS) {
      const oldPods = all.reduce((s, rs) => s + (rs.spec.replicas ?? 0), 0);
      newRS = this.createReplicaSet(d, hash, maxRev + 1, oldPods === 0 ? R : 0, R + surge);
      all.push(newRS);
    } else if (revisionOf(newRS) < maxRev) {
      const prev = String(revisionOf(newRS));
      newRS = this.cluster.store.mutate<ReplicaSet>(RSKEY, ns, newRS.metadata.name, (rs) => {
        const a = (rs.metadata.annotations ??= {});
        a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${prev}` : prev;
        a[REVISION] = String(maxRev + 1);
        copyAnnotations(d, rs);
      })!;
    }
    const rev = String(revisionOf(newRS));
    if (d.metadata.annotations?.[REVISION] !== rev) {
      const updated = this.cluster.store.mutate<Deployment>(DKEY, ns, d.metadata.name, (x) => {
        (x.metadata.annotations ??= {})[REVISION] = rev;
      });
      if (updated) d = updated;
    }
    const newName = newRS.metadata.name;
    const olds = all
      .filter((rs) => rs.metadata.name !== newName)
      .sort((a, b) => revisionOf(a) - revisionOf(b));

    if (d.spec.strategy?.type === 'Recreate') {
      for (const rs of olds) this.scale(d, rs, 0);
      const oldPods = olds.reduce((s, rs) => s + (rs.status?.replicas ?? 0), 0);
      if (oldPods === 0) this.scale(d, newRS, R);
    } else {
      const total = all.reduce((s, rs) => s + (rs.spec.replicas ?? 0), 0);
      const cur = newRS.spec.replicas ?? 0;
      if (cur > R) this.scale(d, newRS, R);
      else if (cur < R) {
        const up = Math.max(0, Math.min(R + surge - total, R - cur));
        if (up > 0) this.scale(d, newRS, cur + up);
      }
      const available = all.reduce((s, rs) => s + (rs.status?.availableReplicas ?? 0), 0);
      let budget = Math.max(0, available - (R - unavail));
      for (const rs of olds) {
        const replicas = rs.spec.replicas ?? 0;
        if (replicas === 0) continue;
        const unhealthy = Math.max(0, replicas - (rs.status?.availableReplicas ?? 0));
        const cut = Math.min(replicas, unhealthy + budget);
        budget -= Math.max(0, cut - unhealthy);
        if (cut > 0) this.scale(d, rs, replicas - cut);
      }
    }
    this.cleanupHistory(d, olds);
    const fresh = ownedReplicaSets(this.cluster, d);
    this.writeStatus(
      d,
      fresh,
      fresh.find((rs) => rs.metadata.name === newName),
      R,
      unavail,
    );
  }

  private createReplicaSet(
    d: Deployment,
    hash: string,
    revision: number,
    replicas: number,
    maxReplicas: number,
  ): ReplicaSet {
    const template = structuredClone(d.spec.template);
    template.metadata = {
      ...(template.metadata ?? {}),
      labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash },
    };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: newMeta({
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: {
          [DESIRED]: String(d.spec.replicas ?? 1),
          [MAX]: String(maxReplicas),
          [REVISION]: String(revision),
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name,
            uid: d.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      }),
      spec: {
        replicas,
        selector: {
          ...d.spec.selector,
          matchLabels: { ...(d.spec.selector.matchLabels ?? {}), 'pod-template-hash': hash },
        },
        template,
      },
      status: { replicas: 0 },
    };
    copyAnnotations(d, rs);
    const created = this.cluster.store.create(RSKEY, rs);
    if (replicas > 0)
      this.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${rs.metadata.name} from 0 to ${replicas}`,
        'deployment-controller',
      );
    return created;
  }

  private scale(d: Deployment, rs: ReplicaSet, to: number): void {
    const from = rs.spec.replicas ?? 0;
    if (from === to) return;
    this.cluster.store.mutate<ReplicaSet>(RSKEY, rs.metadata.namespace, rs.metadata.name, (x) => {
      x.spec.replicas = to;
      (x.metadata.annotations ??= {})[DESIRED] = String(d.spec.replicas ?? 1);
    });
    const verb = to > from ? 'up' : 'down';
    this.events.record(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${to}`,
      'deployment-controller',
    );
  }

  private cleanupHistory(d: Deployment, olds: ReplicaSet[]): void {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = olds.filter(
      (rs) => (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0,
    );
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit)))
      this.cluster.store.delete(RSKEY, rs.metadata.namespace, rs.metadata.name);
  }

  private writeStatus(
    d: Deployment,
    all: ReplicaSet[],
    newRS: ReplicaSet | undefined,
    R: number,
    unavail: number,
  ): void {
    const sum = (f: (rs: ReplicaSet) => number | undefined): number =>
      all.reduce((s, rs) => s + (f(rs) ?? 0), 0);
    const available = sum((rs) => rs.status?.availableReplicas);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation,
      replicas: sum((rs) => rs.status?.replicas),
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sum((rs) => rs.spec.replicas) - available),
    };
    const key = `${d.metadata.namespace}/${d.metadata.name}`;
    const now = this.clock.now();
    const complete = status.updatedReplicas === R && status.replicas === R && available === R;
    const prev = d.status ?? {};
    const moved =
      prev.updatedReplicas !== status.updatedReplicas ||
      prev.availableReplicas !== status.availableReplicas ||
      prev.replicas !== status.replicas ||
      prev.observedGeneration !== status.observedGeneration;
    if (moved || !this.progressAt.has(key)) this.progressAt.set(key, now);
    const rsName = newRS?.metadata.name ?? d.metadata.name;
    const stalled =
      !complete &&
      now - (this.progressAt.get(key) ?? now) > (d.spec.progressDeadlineSeconds ?? 600) * 1000;
    const progressing: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'> = complete
      ? {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${rsName}" has successfully progressed.`,
        }
      : stalled
        ? {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${rsName}" has timed out progressing.`,
          }
        : {
            type: 'Progressing',
            status: 'True',
            reason: 'ReplicaSetUpdated',
            message: `ReplicaSet "${rsName}" is progressing.`,
          };
    const availableCond: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'> =
      available >= R - unavail
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          };
    const stamp = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    status.conditions = [availableCond, progressing].map((c) => {
      const old = prev.conditions?.find((p) => p.type === c.type);
      const same =
        old && old.status === c.status && old.reason === c.reason && old.message === c.message;
      if (same) return old;
      return {
        ...c,
        lastUpdateTime: stamp,
        lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime! : stamp,
      };
    });
    if (JSON.stringify(prev) !== JSON.stringify(status))
      this.cluster.store.mutate<Deployment>(DKEY, d.metadata.namespace, d.metadata.name, (x) => {
        x.status = status;
      });
  }
}

function copyAnnotations(d: Deployment, rs: ReplicaSet): void {
  const a = (rs.metadata.annotations ??= {});
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {}))
    if (!NOT_COPIED.has(k)) a[k] = v;
}
