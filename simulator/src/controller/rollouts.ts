/**
 * The part of the Argo Rollouts controller the scenarios need, on the simulator's store. Written
 * from Argo's documented behaviour, not its code:
 *
 * - one ReplicaSet per pod-template hash (label `rollouts-pod-template-hash`, annotation
 *   `rollout.argoproj.io/revision`, owned by the Rollout);
 * - a new release is scaled up to `spec.replicas`, and once all of it is available it becomes
 *   `status.stableRS` and the older ReplicaSets go to 0 (a canary without steps; steps, traffic
 *   routing and analysis are not modelled). A template equal to the stable ReplicaSet's (an undo,
 *   an abort's full revert) goes straight back to it;
 * - `spec.paused` holds everything (`status.phase: Paused`, a `PauseConditions` entry);
 * - `spec.restartAt` in the past replaces pods created before it one at a time, only while every
 *   ReplicaSet is fully available, then sets `status.restartedAt`;
 * - status as the controller writes it: `observedGeneration` as a string, `currentPodHash`,
 *   `stableRS`, `phase`, the Progressing condition with `ProgressDeadlineExceeded`.
 */
import type { Clock } from '../clock.js';
import { PODS, REPLICASETS, ROLLOUTS, type Cluster } from '../cluster/cluster.js';
import { selectorString } from '../cluster/labels.js';
import { storageKey } from '../cluster/store.js';
import {
  newMeta,
  type Pod,
  type ReplicaSet,
  type Rollout,
  type RolloutStatus,
} from '../cluster/types.js';
import { podTemplateHash } from './hash.js';
import type { EventRecorder } from './recorder.js';
import { isPodReady } from './replicasets.js';

export const ROLLOUT_REVISION = 'rollout.argoproj.io/revision';
export const ROLLOUT_HASH = 'rollouts-pod-template-hash';
const RKEY = storageKey(ROLLOUTS);
const RSKEY = storageKey(REPLICASETS);
const PKEY = storageKey(PODS);

/** What a Rollout's replica counts are summed from: its ReplicaSets, as Argo reads them. */
export interface ReplicaSetCounts {
  metadata: { labels?: Record<string, string> };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

/**
 * A Rollout's `status` replica counts from its ReplicaSets: totals over all of them, and
 * `updatedReplicas` from the one of the current pod-template hash (none: 0). Also used where
 * the cluster tier plays the controller against a real API server (`e2e/cluster/argoRollouts.ts`).
 */
export function rolloutReplicaCounts(
  sets: readonly ReplicaSetCounts[],
  hash: string,
): { replicas: number; updatedReplicas: number; readyReplicas: number; availableReplicas: number } {
  const sum = (f: (s: NonNullable<ReplicaSetCounts['status']>) => number | undefined): number =>
    sets.reduce((n, rs) => n + (f(rs.status ?? {}) ?? 0), 0);
  const current = sets.find((rs) => rs.metadata.labels?.[ROLLOUT_HASH] === hash);
  return {
    replicas: sum((s) => s.replicas),
    updatedReplicas: current?.status?.replicas ?? 0,
    readyReplicas: sum((s) => s.readyReplicas),
    availableReplicas: sum((s) => s.availableReplicas),
  };
}

const revisionOf = (rs: ReplicaSet): number =>
  Number(rs.metadata.annotations?.[ROLLOUT_REVISION] ?? 0) || 0;

export class RolloutController {
  /** When each Rollout last made progress, for ProgressDeadlineExceeded. */
  private readonly progressAt = new Map<string, number>();

  constructor(
    private readonly cluster: Cluster,
    private readonly clock: Clock,
    private readonly events: EventRecorder,
  ) {}

  reconcile(): void {
    for (const r of this.cluster.store.peek<Rollout>(RKEY)) this.sync(r);
  }

  private owned(r: Rollout): ReplicaSet[] {
    return this.cluster.store
      .peek<ReplicaSet>(RSKEY, r.metadata.namespace)
      .filter((rs) =>
        rs.metadata.ownerReferences?.some((o) => o.uid === r.metadata.uid && o.controller),
      );
  }

  private sync(r: Rollout): void {
    const ns = r.metadata.namespace!;
    const R = r.spec.replicas ?? 1;
    const hash = podTemplateHash(stripHash(r.spec.template));
    const all = this.owned(r);
    let current = all.find((rs) => rs.metadata.labels?.[ROLLOUT_HASH] === hash);
    const maxRev = Math.max(0, ...all.map(revisionOf));
    if (r.spec.paused) return this.writeStatus(r, this.owned(r), hash);

    if (!current) current = this.createReplicaSet(r, hash, maxRev + 1);
    else if (revisionOf(current) < maxRev)
      // Going back to an older release makes it the newest revision again (as undo does).
      current = this.cluster.store.mutate<ReplicaSet>(RSKEY, ns, current.metadata.name, (rs) => {
        (rs.metadata.annotations ??= {})[ROLLOUT_REVISION] = String(maxRev + 1);
      })!;
    const rev = String(revisionOf(current));
    if (r.metadata.annotations?.[ROLLOUT_REVISION] !== rev)
      r =
        this.cluster.store.mutate<Rollout>(RKEY, ns, r.metadata.name, (x) => {
          (x.metadata.annotations ??= {})[ROLLOUT_REVISION] = rev;
        }) ?? r;

    this.scale(r, current, R);
    const promoted = (current.status?.availableReplicas ?? 0) >= R;
    if (promoted)
      for (const rs of all) if (rs.metadata.name !== current.metadata.name) this.scale(r, rs, 0);
    this.restart(r);
    this.writeStatus(r, this.owned(r), hash, promoted ? hash : undefined);
  }

  private createReplicaSet(r: Rollout, hash: string, revision: number): ReplicaSet {
    const template = structuredClone(r.spec.template);
    template.metadata = {
      ...(template.metadata ?? {}),
      labels: { ...(template.metadata?.labels ?? {}), [ROLLOUT_HASH]: hash },
    };
    return this.cluster.store.create(RSKEY, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: newMeta({
        name: `${r.metadata.name}-${hash}`,
        namespace: r.metadata.namespace,
        labels: template.metadata.labels,
        annotations: { [ROLLOUT_REVISION]: String(revision) },
        ownerReferences: [
          {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Rollout',
            name: r.metadata.name,
            uid: r.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      }),
      spec: {
        replicas: 0,
        selector: {
          ...r.spec.selector,
          matchLabels: { ...(r.spec.selector.matchLabels ?? {}), [ROLLOUT_HASH]: hash },
        },
        template,
      },
      status: { replicas: 0 },
    } as ReplicaSet);
  }

  private scale(r: Rollout, rs: ReplicaSet, to: number): void {
    const from = rs.spec.replicas ?? 0;
    if (from === to) return;
    this.cluster.store.mutate<ReplicaSet>(RSKEY, rs.metadata.namespace, rs.metadata.name, (x) => {
      x.spec.replicas = to;
    });
    this.events.record(
      r,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${to > from ? 'up' : 'down'} ReplicaSet ${rs.metadata.name} (revision ${revisionOf(rs)}) from ${from} to ${to}`,
      'rollouts-controller',
    );
  }

  /** `spec.restartAt`: one pod older than it deleted per pass, while everything is available. */
  private restart(r: Rollout): void {
    const at = Date.parse(r.spec.restartAt ?? '');
    if (!Number.isFinite(at) || at > this.clock.now()) return;
    if (Date.parse(r.status?.restartedAt ?? '') >= at) return;
    const sets = this.owned(r).filter((rs) => (rs.spec.replicas ?? 0) > 0);
    const uids = new Set(sets.map((rs) => rs.metadata.uid));
    const pods = this.cluster.store
      .peek<Pod>(PKEY, r.metadata.namespace)
      .filter((p) => p.metadata.ownerReferences?.some((o) => uids.has(o.uid)));
    const old = pods.filter((p) => Date.parse(p.metadata.creationTimestamp ?? '') < at);
    if (old.length === 0) {
      this.cluster.store.mutate<Rollout>(RKEY, r.metadata.namespace, r.metadata.name, (x) => {
        x.status = { ...(x.status ?? {}), restartedAt: r.spec.restartAt! };
      });
      return;
    }
    const settled =
      pods.every((p) => !p.metadata.deletionTimestamp && isPodReady(p)) &&
      sets.every((rs) => (rs.status?.availableReplicas ?? 0) >= (rs.spec.replicas ?? 0));
    if (!settled) return;
    const victim = old[0]!;
    this.cluster.store.delete(PKEY, victim.metadata.namespace, victim.metadata.name);
    this.events.record(
      r,
      'Normal',
      'RestartingPod',
      `Restarting pod ${victim.metadata.name} (created before restartAt ${r.spec.restartAt})`,
      'rollouts-controller',
    );
  }

  private writeStatus(r: Rollout, all: ReplicaSet[], hash: string, promoted?: string): void {
    const R = r.spec.replicas ?? 1;
    const current = all.some((rs) => rs.metadata.labels?.[ROLLOUT_HASH] === hash);
    const prev = r.status ?? {};
    const stableRS = promoted ?? prev.stableRS ?? (current ? hash : undefined);
    const now = this.clock.now();
    const stamp = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    const status: RolloutStatus = {
      ...(prev.restartedAt ? { restartedAt: prev.restartedAt } : {}),
      observedGeneration: String(r.metadata.generation ?? 1),
      ...rolloutReplicaCounts(all, hash),
      currentPodHash: hash,
      ...(stableRS ? { stableRS } : {}),
      selector: selectorString(r.spec.selector),
    };
    const complete =
      status.updatedReplicas === R &&
      status.replicas === R &&
      status.availableReplicas === R &&
      stableRS === hash;
    const key = `${r.metadata.namespace}/${r.metadata.name}`;
    const moved =
      prev.updatedReplicas !== status.updatedReplicas ||
      prev.availableReplicas !== status.availableReplicas ||
      prev.observedGeneration !== status.observedGeneration;
    if (moved || !this.progressAt.has(key)) this.progressAt.set(key, now);
    const stalled =
      !complete &&
      !r.spec.paused &&
      now - (this.progressAt.get(key) ?? now) > (r.spec.progressDeadlineSeconds ?? 600) * 1000;
    if (r.spec.paused) {
      status.phase = 'Paused';
      status.message = 'manually paused';
      status.pauseConditions = prev.pauseConditions?.length
        ? prev.pauseConditions
        : [{ reason: 'PausedByUser', startTime: stamp }];
    } else status.phase = complete ? 'Healthy' : stalled ? 'Degraded' : 'Progressing';
    const progressing = stalled
      ? { status: 'False' as const, reason: 'ProgressDeadlineExceeded' }
      : {
          status: 'True' as const,
          reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        };
    const old = prev.conditions?.find((c) => c.type === 'Progressing');
    status.conditions = [
      old && old.status === progressing.status && old.reason === progressing.reason
        ? old
        : { type: 'Progressing', ...progressing, lastUpdateTime: stamp, lastTransitionTime: stamp },
    ];
    if (JSON.stringify(prev) !== JSON.stringify(status))
      this.cluster.store.mutate<Rollout>(RKEY, r.metadata.namespace, r.metadata.name, (x) => {
        x.status = status;
      });
  }
}

/** The template without the hash label, so a ReplicaSet's template hashes like its Rollout's. */
function stripHash(t: Rollout['spec']['template']): unknown {
  const c = structuredClone(t);
  if (c.metadata?.labels) delete c.metadata.labels[ROLLOUT_HASH];
  return c;
}
