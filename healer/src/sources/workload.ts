/**
 * What the listed Deployment object itself says, turned into plain data for the policy and the
 * gate: rollout progress, a human's hold (paused, being deleted) and the release it runs. Pure:
 * the list the loop already made is the only input, so this costs no API call.
 */
import { createHash } from 'node:crypto';
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { WorkloadView } from '../policy/types.js';

export const REVISION = 'deployment.kubernetes.io/revision';
/** The Argo Rollouts controller's revision annotation, on a Rollout and its ReplicaSets. */
export const ROLLOUT_REVISION = 'rollout.argoproj.io/revision';
/** Set by `kubectl rollout restart` (and the healer's restart) on the pod template. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** The hash label each controller adds to its ReplicaSets' templates (Deployment, Rollout). */
const HASH_LABELS = ['pod-template-hash', 'rollouts-pod-template-hash'];

/**
 * The revision of a Deployment, a Rollout or a ReplicaSet of either (0 when absent):
 * `deployment.kubernetes.io/revision` or `rollout.argoproj.io/revision`.
 */
export function revisionOf(
  o: { metadata?: { annotations?: Record<string, string> } } | undefined,
): number {
  const a = o?.metadata?.annotations;
  const n = Number(a?.[REVISION] ?? a?.[ROLLOUT_REVISION]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** A template as the workload would carry it: without its controller's hash label. */
export function withoutHash(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const copy = JSON.parse(JSON.stringify(t ?? {})) as V1PodTemplateSpec;
  for (const h of HASH_LABELS) if (copy.metadata?.labels) delete copy.metadata.labels[h];
  return copy;
}

/** A template reduced to what makes a release: no hash label, no restart annotation. */
export function releaseTemplate(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const copy = withoutHash(t);
  if (copy.metadata?.annotations) {
    delete copy.metadata.annotations[RESTARTED_AT];
    if (Object.keys(copy.metadata.annotations).length === 0) delete copy.metadata.annotations;
  }
  if (copy.metadata?.labels && Object.keys(copy.metadata.labels).length === 0)
    delete copy.metadata.labels;
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  return copy;
}

const isEmptyObject = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;

/**
 * JSON with object keys sorted, so equal templates give equal text. An empty object counts as
 * absent (`securityContext: {}` is what the API server defaults into a ReplicaSet's template, not
 * into a Rollout's, which is a custom resource): it changes nothing about the release.
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined && !isEmptyObject(o[k]))
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * The release a template is: a short fingerprint of it without restarts, the same for a
 * Deployment's template and its ReplicaSet's. A restart keeps it; a new image or a rollback
 * changes it.
 */
export function releaseOf(t: V1PodTemplateSpec | undefined): string {
  return createHash('sha256')
    .update(canonical(releaseTemplate(t)))
    .digest('hex')
    .slice(0, 12);
}

/** What a Deployment and an Argo Rollout both carry about their rollout (the same field names). */
export interface ControllerObject {
  metadata?: {
    generation?: number;
    deletionTimestamp?: Date | string | null;
    annotations?: Record<string, string>;
  };
  spec?: { replicas?: number; progressDeadlineSeconds?: number; template?: V1PodTemplateSpec };
  status?: {
    /** A number on a Deployment, a string in the Rollout CRD. */
    observedGeneration?: number | string;
    updatedReplicas?: number;
    availableReplicas?: number;
    replicas?: number;
    conditions?: { type?: string; status?: string; reason?: string }[];
  };
}

/**
 * The rollout progress, deletion, revision and (when asked: it hashes) release of either kind;
 * each kind's view adds its own hold (`paused`, and a Rollout's unfinished promotion).
 */
export function controllerView(
  o: ControllerObject,
  opts: { release?: boolean } = {},
): Omit<WorkloadView, 'paused' | 'pausedBy' | 'unfinished'> {
  const st = o.status ?? {};
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  const observed = Number(st.observedGeneration ?? 0);
  return {
    generation: o.metadata?.generation ?? 0,
    observedGeneration: Number.isFinite(observed) ? observed : 0,
    desired: o.spec?.replicas ?? 1,
    updated: st.updatedReplicas ?? 0,
    available: st.availableReplicas ?? 0,
    total: st.replicas ?? 0,
    deadlineExceeded:
      progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded',
    progressDeadlineSeconds: o.spec?.progressDeadlineSeconds ?? 600,
    deleting: o.metadata?.deletionTimestamp !== undefined && o.metadata.deletionTimestamp !== null,
    revision: revisionOf(o),
    ...(opts.release ? { release: releaseOf(o.spec?.template) } : {}),
  };
}

/** The rollout, hold and release of a listed Deployment. `release` only when asked (it hashes). */
export function deploymentView(dep: V1Deployment, opts: { release?: boolean } = {}): WorkloadView {
  return { ...controllerView(dep, opts), paused: dep.spec?.paused === true };
}

/**
 * True when every field set in `a` has the same value in `b`, which may carry more (Kubernetes'
 * `DeepDerivative`, as Argo Rollouts matches a Rollout's template to its ReplicaSet's): a
 * Rollout's template is not defaulted by the API server, its ReplicaSet's is.
 */
export function derives(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || isEmptyObject(a)) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => derives(x, b[i]));
  if (typeof a === 'object')
    return (
      b !== null &&
      typeof b === 'object' &&
      !Array.isArray(b) &&
      Object.entries(a).every(([k, v]) => derives(v, (b as Record<string, unknown>)[k]))
    );
  return a === b;
}

/** `t` without the empty objects (`{}`) that `base` does not have either (recursively). */
export function withoutEmptyAdditions<T>(t: T, base: unknown): T {
  if (t === null || typeof t !== 'object' || Array.isArray(t)) {
    if (Array.isArray(t) && Array.isArray(base))
      return t.map((x, i) => withoutEmptyAdditions(x, base[i])) as T;
    return t;
  }
  const b = base !== null && typeof base === 'object' ? (base as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t as Record<string, unknown>)) {
    if (isEmptyObject(v) && !(k in b)) continue;
    out[k] = withoutEmptyAdditions(v, b[k]);
  }
  return out as T;
}
