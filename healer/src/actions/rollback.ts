/**
 * Rollback as `kubectl rollout undo` (and `kubectl argo rollouts undo`) does it: take the
 * previous release's ReplicaSet pod template, drop its controller's hash label, and write it into
 * the Deployment or Rollout. For a Rollout the stable ReplicaSet (`status.stableRS`) comes first:
 * while a newer release rolls out, going back to stable is the abort-and-undo. Release-scoped:
 * never back to a release the healer rolled back from, never to a newer revision. Refuses, saying
 * why, when there is too little revision history, when every earlier release is known bad, when
 * a human holds the deployment, or when the template already matches.
 */
import type { AppsV1Api, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import type { WorkloadKind, WorkloadObject } from '../kinds/types.js';
import { MAX_BAD_RELEASES } from '../policy/decide.js';
import {
  derives,
  REVISION,
  releaseOf,
  releaseTemplate,
  revisionOf,
  withoutEmptyAdditions,
  withoutHash,
} from '../sources/workload.js';
import {
  HealStateConflictError,
  patchVersioned,
  stateAnnotations,
  type PersistedHealState,
  type VersionedPatchOptions,
} from './state.js';
import { describeError, isLostLeadership, selectorString } from './kube.js';
import type { ActionResult } from './types.js';

export { REVISION, withoutHash };
const CHANGE_CAUSE = 'kubernetes.io/change-cause';

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

function sameTemplate(a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined): boolean {
  return mergePatchDiff(withoutHash(a), withoutHash(b)) === undefined;
}

/**
 * The ReplicaSets this Deployment or Rollout controls: owned by its UID (ownerReferences), never
 * by a label match alone (a selector can be shared with a sibling).
 */
export async function ownedReplicaSets(
  apps: Pick<AppsV1Api, 'listNamespacedReplicaSet'>,
  dep: WorkloadObject,
): Promise<V1ReplicaSet[]> {
  const namespace = dep.metadata?.namespace ?? 'default';
  const labelSelector = selectorString(dep.spec?.selector?.matchLabels);
  const all = (await apps.listNamespacedReplicaSet({ namespace, labelSelector })).items;
  const uid = dep.metadata?.uid;
  return all.filter(
    (rs) => uid !== undefined && rs.metadata?.ownerReferences?.some((o) => o.uid === uid),
  );
}

export interface PreviousRevision {
  /** The ReplicaSet to roll back to, if any. */
  target?: V1ReplicaSet;
  /** Earlier releases passed over because the healer rolled back from them before. */
  knownBad: V1ReplicaSet[];
}

/**
 * The previous release's ReplicaSet: the highest revision below `currentRevision` (never "back"
 * to a newer one) whose template differs from `current` by more than a restart and that is not a
 * release the healer rolled back from (`badReleases`). `kubectl rollout undo` takes the revision
 * just below; after the healer's own restarts that would be the same release restarted, and after
 * an earlier rollback it could be the bad release again (a flip-flop).
 */
export function previousRevision(
  sets: readonly V1ReplicaSet[],
  current: V1PodTemplateSpec | undefined,
  currentRevision = Number.POSITIVE_INFINITY,
  badReleases: readonly string[] = [],
  preferred?: V1ReplicaSet,
): PreviousRevision {
  const now = releaseOf(current);
  const isCurrent = (rs: V1ReplicaSet): boolean =>
    releaseOf(rs.spec?.template) === now ||
    derives(releaseTemplate(current), releaseTemplate(rs.spec?.template));
  const bad = new Set(badReleases);
  const knownBad: V1ReplicaSet[] = [];
  // A Rollout's stable ReplicaSet, while a newer release rolls out: the way back is to it.
  if (preferred) {
    const r = releaseOf(preferred.spec?.template);
    if (!isCurrent(preferred) && !bad.has(r)) return { target: preferred, knownBad };
  }
  const candidates = [...sets]
    .filter((rs) => revisionOf(rs) > 0 && revisionOf(rs) < currentRevision)
    .sort((a, b) => revisionOf(b) - revisionOf(a));
  for (const rs of candidates) {
    const r = releaseOf(rs.spec?.template);
    if (isCurrent(rs)) continue;
    if (bad.has(r)) {
      knownBad.push(rs);
      continue;
    }
    return { target: rs, knownBad };
  }
  return { knownBad };
}

/** `release ab12… (revisions 4, 2); release cd34… (revision 3)`: known-bad releases, grouped. */
function describeBad(sets: readonly V1ReplicaSet[]): string {
  const byRelease = new Map<string, number[]>();
  for (const rs of sets) {
    const r = releaseOf(rs.spec?.template);
    byRelease.set(r, [...(byRelease.get(r) ?? []), revisionOf(rs)]);
  }
  return [...byRelease]
    .map(([r, revs]) => `release ${r} (revision${revs.length > 1 ? 's' : ''} ${revs.join(', ')})`)
    .join('; ');
}

/**
 * The release the target runs, as its ReplicaSets fingerprint it: a Rollout's template is not
 * defaulted by the API server, its ReplicaSet's is, so the newest ReplicaSet the template derives
 * from names it (and a later rollback recognises it as known bad); else the template's own.
 */
function currentRelease(sets: readonly V1ReplicaSet[], t: V1PodTemplateSpec | undefined): string {
  const own = releaseOf(t);
  const match = [...sets]
    .sort((a, b) => revisionOf(b) - revisionOf(a))
    .find(
      (rs) =>
        releaseOf(rs.spec?.template) === own ||
        derives(releaseTemplate(t), releaseTemplate(rs.spec?.template)),
    );
  return match ? releaseOf(match.spec?.template) : own;
}

export interface RollbackOptions extends VersionedPatchOptions {
  state?: PersistedHealState;
  /** Releases never rolled back to (the heal state's `badReleases`). */
  badReleases?: readonly string[];
}

export async function rollbackWorkload(
  kind: WorkloadKind,
  apps: Pick<AppsV1Api, 'listNamespacedReplicaSet'>,
  namespace: string,
  name: string,
  opts: RollbackOptions = {},
): Promise<ActionResult> {
  let refusal: ActionResult | undefined;
  let done: ActionResult | undefined;
  const build = async (dep: WorkloadObject): Promise<Record<string, unknown> | undefined> => {
    const hold = kind.holdReason(dep);
    if (hold) {
      refusal = { status: 'refused', detail: `cannot roll back: ${hold}` };
      return undefined;
    }
    const unsupported = kind.rollbackUnsupported?.(dep);
    if (unsupported) {
      refusal = { status: 'refused', permanent: true, detail: `cannot roll back: ${unsupported}` };
      return undefined;
    }
    if (dep.spec?.revisionHistoryLimit === 0) {
      refusal = {
        status: 'refused',
        permanent: true,
        detail:
          'too little revision history: revisionHistoryLimit is 0, so no earlier ReplicaSet is kept to roll back to',
      };
      return undefined;
    }
    const sets = await ownedReplicaSets(apps, dep);
    const depRevision = revisionOf(dep) || Number.POSITIVE_INFINITY;
    const { target: prev, knownBad } = previousRevision(
      sets,
      dep.spec?.template,
      depRevision,
      opts.badReleases,
      kind.preferredRollbackTarget?.(dep, sets),
    );
    if (!prev) {
      const revs = sets
        .map(revisionOf)
        .filter((r) => r > 0)
        .sort((a, b) => a - b);
      const history = `revisions ${revs.length > 0 ? revs.join(', ') : 'none'}, revisionHistoryLimit ${dep.spec?.revisionHistoryLimit ?? 10}`;
      refusal = {
        status: 'refused',
        permanent: true,
        detail:
          knownBad.length > 0
            ? `no release to roll back to: every earlier release is known bad (the healer rolled back from ${describeBad(knownBad)}) (${history})`
            : revs.length > 1
              ? `no previous release to roll back to (revisions ${revs.join(', ')} differ only by restarts)`
              : `too little revision history: no previous revision to roll back to (${history})`,
      };
      return undefined;
    }
    // What the API server defaulted into the ReplicaSet as empty objects (`securityContext: {}`)
    // is not written into a Rollout that never had it: it means nothing, and the admission
    // policy compares those fields by presence.
    const target = withoutEmptyAdditions(withoutHash(prev.spec?.template), dep.spec?.template);
    if (sameTemplate(dep.spec?.template, target)) {
      refusal = {
        status: 'refused',
        permanent: true,
        detail: `current template already matches revision ${revisionOf(prev)}`,
      };
      return undefined;
    }
    const templatePatch = mergePatchDiff(withoutHash(dep.spec?.template), target);
    const skipped =
      knownBad.length > 0
        ? ` (skipped known-bad revision${knownBad.length > 1 ? 's' : ''} ${knownBad.map(revisionOf).join(', ')})`
        : '';
    done = {
      status: 'done',
      detail: `rolled back to revision ${revisionOf(prev)} (ReplicaSet ${prev.metadata?.name}) from revision ${revisionOf(dep)}${skipped}`,
      release: releaseOf(target),
      fromRelease: currentRelease(sets, dep.spec?.template),
    };
    // Like rollout undo, the release's change-cause comes back with its template.
    const cause = prev.metadata?.annotations?.[CHANGE_CAUSE];
    const state = opts.state
      ? {
          ...opts.state,
          release: done.release!,
          badReleases: [
            ...(opts.state.badReleases ?? []).filter((r) => r !== done!.fromRelease),
            done.fromRelease!,
          ].slice(-MAX_BAD_RELEASES),
        }
      : undefined;
    const annotations = {
      ...(state ? stateAnnotations(state) : {}),
      ...(cause ? { [CHANGE_CAUSE]: cause } : {}),
    };
    return { metadata: { annotations }, spec: { template: templatePatch ?? {} } };
  };
  try {
    const res = await patchVersioned(kind, namespace, name, build, opts);
    if (!res) return refusal ?? { status: 'skipped', detail: 'nothing to do' };
    return {
      ...done!,
    };
  } catch (err) {
    if (err instanceof HealStateConflictError)
      return { status: 'skipped', detail: err.message, alreadyTaken: true };
    if (isLostLeadership(err)) throw err;
    return { status: 'failed', detail: `rollback failed: ${describeError(err)}` };
  }
}
