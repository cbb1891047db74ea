/**
 * Rollback as `kubectl rollout undo` does it: take the previous revision's ReplicaSet pod
 * template, drop its `pod-template-hash` label, and write it into the deployment. Refuses, saying
 * why, when there is no previous revision, when the deployment is paused, or when the template
 * already matches.
 */
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import {
  patchDeploymentVersioned,
  readPersisted,
  stateAnnotations,
  type PersistedHealState,
  type VersionedPatchOptions,
} from './state.js';
import { describeError, selectorString, type KubeClients } from './kube.js';
import { RESTARTED_AT } from './restart.js';
import type { ActionResult } from './types.js';

export const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const HASH = 'pod-template-hash';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObj = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The RFC 7386 merge patch that turns `from` into `to` (null removes, arrays are replaced). */
export function mergePatchDiff(from: unknown, to: unknown): Json | undefined {
  if (!isObj(from) || !isObj(to)) {
    return JSON.stringify(from) === JSON.stringify(to) ? undefined : (structuredClone(to) as Json);
  }
  const out: Record<string, Json> = {};
  for (const k of Object.keys(from)) if (!(k in to) || to[k] === undefined) out[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    const d = mergePatchDiff(from[k], v);
    if (d !== undefined) out[k] = d;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const revisionOf = (
  o: { metadata?: { annotations?: Record<string, string> } } | undefined,
): number => {
  const n = Number(o?.metadata?.annotations?.[REVISION]);
  return Number.isInteger(n) && n > 0 ? n : 0;
};

/** A template as the deployment would carry it: without the controller's hash label. */
export function withoutHash(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const copy = JSON.parse(JSON.stringify(t ?? {})) as V1PodTemplateSpec;
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[HASH];
  }
  return copy;
}

function sameTemplate(a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined): boolean {
  return mergePatchDiff(withoutHash(a), withoutHash(b)) === undefined;
}

/** The ReplicaSets this deployment owns (by owner UID; by selector when none carry owners). */
export async function ownedReplicaSets(k: KubeClients, dep: V1Deployment): Promise<V1ReplicaSet[]> {
  const namespace = dep.metadata?.namespace ?? 'default';
  const labelSelector = selectorString(dep.spec?.selector.matchLabels);
  const all = (await k.apps.listNamespacedReplicaSet({ namespace, labelSelector })).items;
  const uid = dep.metadata?.uid;
  const owned = all.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid));
  return owned.length > 0 ? owned : all.filter((rs) => !rs.metadata?.ownerReferences?.length);
}

/** A template reduced to what makes a release: no hash label, no restart annotation. */
function release(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const copy = withoutHash(t);
  if (copy.metadata?.annotations) {
    delete copy.metadata.annotations[RESTARTED_AT];
    if (Object.keys(copy.metadata.annotations).length === 0) delete copy.metadata.annotations;
  }
  return copy;
}

/**
 * The previous revision's ReplicaSet: the highest revision below `currentRevision` whose template
 * differs from `current` by more than a restart. `kubectl rollout undo` takes the revision just
 * below; after the healer's own restarts that would be the same release restarted, so revisions
 * that only differ by `kubectl.kubernetes.io/restartedAt` are skipped.
 */
export function previousRevision(
  sets: readonly V1ReplicaSet[],
  current: V1PodTemplateSpec | undefined,
  currentRevision = Number.POSITIVE_INFINITY,
): V1ReplicaSet | undefined {
  const now = release(current);
  return [...sets]
    .filter((rs) => revisionOf(rs) > 0 && revisionOf(rs) < currentRevision)
    .sort((a, b) => revisionOf(b) - revisionOf(a))
    .find((rs) => mergePatchDiff(release(rs.spec?.template), now) !== undefined);
}

export interface RollbackOptions extends VersionedPatchOptions {
  state?: PersistedHealState;
}

export async function rollbackDeployment(
  k: KubeClients,
  namespace: string,
  name: string,
  opts: RollbackOptions = {},
): Promise<ActionResult> {
  let refusal: ActionResult | undefined;
  let detail = '';
  const build = async (dep: V1Deployment): Promise<Record<string, unknown> | undefined> => {
    if (dep.spec?.paused) {
      refusal = { status: 'refused', detail: 'cannot roll back a paused deployment' };
      return undefined;
    }
    const current = readPersisted(dep).state;
    if (opts.state && current && opts.state.attempt > 0 && current.attempt >= opts.state.attempt) {
      refusal = {
        status: 'skipped',
        detail: `attempt ${opts.state.attempt} already recorded (another healer took this step)`,
        alreadyTaken: true,
      };
      return undefined;
    }
    const sets = await ownedReplicaSets(k, dep);
    const depRevision = revisionOf(dep) || Number.POSITIVE_INFINITY;
    const prev = previousRevision(sets, dep.spec?.template, depRevision);
    if (!prev) {
      const revs = sets
        .map(revisionOf)
        .filter((r) => r > 0)
        .sort((a, b) => a - b);
      refusal = {
        status: 'refused',
        detail:
          revs.length > 1
            ? `no previous release to roll back to (revisions ${revs.join(', ')} differ only by restarts)`
            : `no previous revision to roll back to (revisions: ${revs.length > 0 ? revs.join(', ') : 'none'})`,
      };
      return undefined;
    }
    const target = withoutHash(prev.spec?.template);
    if (sameTemplate(dep.spec?.template, target)) {
      refusal = {
        status: 'refused',
        detail: `current template already matches revision ${revisionOf(prev)}`,
      };
      return undefined;
    }
    const templatePatch = mergePatchDiff(withoutHash(dep.spec?.template), target);
    detail = `rolled back to revision ${revisionOf(prev)} (ReplicaSet ${prev.metadata?.name}) from revision ${revisionOf(dep)}`;
    // Like rollout undo, the release's change-cause comes back with its template.
    const cause = prev.metadata?.annotations?.[CHANGE_CAUSE];
    const annotations = {
      ...(opts.state ? stateAnnotations(opts.state) : {}),
      ...(cause ? { [CHANGE_CAUSE]: cause } : {}),
    };
    return { metadata: { annotations }, spec: { template: templatePatch ?? {} } };
  };
  try {
    const res = await patchDeploymentVersioned(k, namespace, name, build, opts);
    if (!res) return refusal ?? { status: 'skipped', detail: 'nothing to do' };
    return { status: 'done', detail };
  } catch (err) {
    return { status: 'failed', detail: `rollback failed: ${describeError(err)}` };
  }
}
