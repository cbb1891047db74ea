/**
 * Argo Rollouts' `Rollout` (`argoproj.io/v1alpha1`) as a heal target, through client-node's
 * custom-object calls. What the Argo tooling does, done with the same writes:
 *
 * - restart: `spec.restartAt` (`kubectl argo rollouts restart`); the controller replaces the
 *   pods one at a time and sets `status.restartedAt` when done. The release does not change.
 * - rollback: the stable ReplicaSet's template written back into `spec.template` (what
 *   `kubectl argo rollouts undo` writes; the Argo docs call it the full revert after an abort, and
 *   the controller then skips the canary steps back to stable). `abort` alone is a write to the
 *   status subresource that leaves `spec.template` on the bad release, which the healer neither
 *   needs nor is granted. See `actions/rollback.ts` for the release rules.
 * - scale: the `rollouts/scale` subresource, as an HPA or `kubectl scale rollout` would.
 *
 * Paused means `spec.paused` (`kubectl argo rollouts pause`), any `status.pauseConditions`
 * (a canary pause step, a blue-green pre-promotion pause) or `status.controllerPause`.
 */
import type { CustomObjectsApi, V1ReplicaSet, V1Scale } from '@kubernetes/client-node';
import { MERGE_PATCH } from '../actions/kube.js';
import type { WorkloadView } from '../policy/types.js';
import { controllerView } from '../sources/workload.js';
import { listPages, pageParams } from './pages.js';
import {
  listEach,
  type ListPage,
  type WatchScope,
  type WorkloadKind,
  type WorkloadObject,
} from './types.js';

/** The API resource: group, version and plural of every custom-object call below. */
const ROLLOUTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;
/** The label the Argo controller puts on each ReplicaSet and its pods. */
export const ROLLOUT_HASH = 'rollouts-pod-template-hash';

/** The fields of a Rollout the healer reads (see Argo's `RolloutSpec` / `RolloutStatus`). */
export interface ArgoRollout extends WorkloadObject {
  spec?: WorkloadObject['spec'] & { restartAt?: string; workloadRef?: { name?: string } };
  status?: {
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    /** A string in the CRD (`"3"`), unlike a Deployment's number. */
    observedGeneration?: string | number;
    currentPodHash?: string;
    stableRS?: string;
    phase?: string;
    pauseConditions?: { reason?: string; startTime?: string }[];
    controllerPause?: boolean;
    abort?: boolean;
    restartedAt?: string;
    conditions?: { type?: string; status?: string; reason?: string }[];
  };
}

/** RFC 3339 to the second, as `kubectl argo rollouts restart` writes it. */
function rfc3339(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** Why a Rollout is paused, for people; undefined when it is not. Pure. */
export function rolloutPausedBy(r: ArgoRollout): string | undefined {
  if (r.spec?.paused)
    return 'spec.paused=true (kubectl argo rollouts pause): a human is working on it';
  const pcs = r.status?.pauseConditions ?? [];
  if (pcs.length > 0) {
    const what = pcs
      .map((p) => `${p.reason ?? 'Paused'}${p.startTime ? ` since ${p.startTime}` : ''}`)
      .join(', ');
    return `paused by its strategy (status.pauseConditions: ${what}): promote or abort it (kubectl argo rollouts promote/abort)`;
  }
  if (r.status?.controllerPause)
    return 'paused by the Argo Rollouts controller (status.controllerPause=true)';
  return undefined;
}

/** Why the rollout is not done although its counts may be. Pure. */
function unfinished(r: ArgoRollout): string | undefined {
  const st = r.status ?? {};
  if (st.currentPodHash && st.stableRS && st.currentPodHash !== st.stableRS && !st.abort)
    return `release ${st.currentPodHash} not promoted to stable yet (status.stableRS=${st.stableRS}${st.phase ? `, phase ${st.phase}` : ''})`;
  const restartAt = Date.parse(r.spec?.restartAt ?? '');
  if (Number.isFinite(restartAt)) {
    const restartedAt = Date.parse(st.restartedAt ?? '');
    if (!(restartedAt >= restartAt))
      return `restart at ${r.spec?.restartAt} still replacing pods (status.restartedAt=${st.restartedAt ?? 'unset'})`;
  }
  return undefined;
}

/** The rollout, hold and release of a listed Rollout. Pure. */
export function rolloutView(r: ArgoRollout, opts: { release?: boolean } = {}): WorkloadView {
  const pausedBy = rolloutPausedBy(r);
  const notDone = unfinished(r);
  return {
    ...controllerView(r, opts),
    paused: pausedBy !== undefined,
    ...(pausedBy ? { pausedBy } : {}),
    ...(notDone ? { unfinished: notDone } : {}),
  };
}

export class RolloutKind implements WorkloadKind {
  readonly kind = 'Rollout' as const;
  readonly apiVersion = `${ROLLOUTS.group}/${ROLLOUTS.version}`;

  constructor(private readonly custom: CustomObjectsApi) {}

  async list(scope: WatchScope): Promise<WorkloadObject[]> {
    return listEach(scope, (ns) => listPages(this, ns, scope.labelSelector, { keep: (o) => o }));
  }

  async listPage(
    namespace: string | undefined,
    labelSelector: string,
    page: { limit?: number; continue?: string },
  ): Promise<ListPage> {
    type List = {
      items?: WorkloadObject[];
      metadata?: { resourceVersion?: string; continue?: string };
    };
    const params = {
      ...ROLLOUTS,
      labelSelector,
      ...pageParams(page),
    };
    const list = (
      namespace === undefined
        ? await this.custom.listClusterCustomObject(params)
        : await this.custom.listNamespacedCustomObject({ ...params, namespace })
    ) as List;
    return {
      items: list.items ?? [],
      resourceVersion: list.metadata?.resourceVersion ?? '',
      continue: list.metadata?.continue,
    };
  }

  path(namespace: string | undefined): string {
    const { group, version, plural } = ROLLOUTS;
    return namespace === undefined
      ? `/apis/${group}/${version}/${plural}`
      : `/apis/${group}/${version}/namespaces/${namespace}/${plural}`;
  }

  async read(namespace: string, name: string): Promise<WorkloadObject> {
    return (await this.custom.getNamespacedCustomObject({
      ...ROLLOUTS,
      namespace,
      name,
    })) as WorkloadObject;
  }

  async patch(namespace: string, name: string, body: object): Promise<WorkloadObject> {
    return (await this.custom.patchNamespacedCustomObject(
      { ...ROLLOUTS, namespace, name, body },
      MERGE_PATCH,
    )) as WorkloadObject;
  }

  async readScale(namespace: string, name: string): Promise<V1Scale> {
    return (await this.custom.getNamespacedCustomObjectScale({
      ...ROLLOUTS,
      namespace,
      name,
    })) as V1Scale;
  }

  async patchScale(namespace: string, name: string, body: object): Promise<V1Scale> {
    return (await this.custom.patchNamespacedCustomObjectScale(
      { ...ROLLOUTS, namespace, name, body },
      MERGE_PATCH,
    )) as V1Scale;
  }

  view(o: WorkloadObject, opts: { release?: boolean } = {}): WorkloadView {
    return rolloutView(o as ArgoRollout, opts);
  }

  holdReason(o: WorkloadObject): string | undefined {
    const paused = rolloutPausedBy(o as ArgoRollout);
    if (paused) return `rollout is ${paused.startsWith('spec.paused') ? 'paused: ' : ''}${paused}`;
    if (o.metadata?.deletionTimestamp)
      return 'rollout is being deleted (metadata.deletionTimestamp is set)';
    return undefined;
  }

  restartPatch(at: Date): Record<string, unknown> {
    return { spec: { restartAt: rfc3339(at) } };
  }

  /**
   * The Argo controller replaces pods for `restartAt` only while every ReplicaSet is fully
   * available (its PodRestarter waits otherwise), so a restart cannot replace crash-looping or
   * unready pods: written anyway it would sit there and the step could never be judged.
   */
  restartRefusal(o: WorkloadObject): string | undefined {
    const st = (o as ArgoRollout).status ?? {};
    const total = st.replicas ?? 0;
    const available = st.availableReplicas ?? 0;
    if (available >= total) return undefined;
    return `Argo Rollouts restarts pods only while every ReplicaSet is fully available (${available}/${total} pods available): spec.restartAt would wait, so it is not written`;
  }

  /** The stable ReplicaSet (`status.stableRS` names its hash label), while it is not current. */
  preferredRollbackTarget(
    o: WorkloadObject,
    sets: readonly V1ReplicaSet[],
  ): V1ReplicaSet | undefined {
    const stable = (o as ArgoRollout).status?.stableRS;
    if (!stable) return undefined;
    return sets.find((rs) => rs.metadata?.labels?.[ROLLOUT_HASH] === stable);
  }

  rollbackUnsupported(o: WorkloadObject): string | undefined {
    const r = o as ArgoRollout;
    if (r.spec?.workloadRef && !r.spec.template)
      return `the Rollout takes its pod template from Deployment ${r.spec.workloadRef.name ?? '?'} (spec.workloadRef): roll that Deployment back instead`;
    return undefined;
  }
}
