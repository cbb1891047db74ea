import type { CacheClearSpec } from '../policy/rules.js';

/**
 * What a cluster action reports back. Actions never throw for an expected refusal (paused
 * deployment, no previous revision, no ready pods): they say why in `detail`.
 */
export type ActionStatus =
  /** The cluster changed. */
  | 'done'
  /** Nothing to do (paused, already at max replicas, already done by another healer). */
  | 'skipped'
  /** Not possible (no previous revision, no ready pods): the policy escalates. */
  | 'refused'
  /** An API call failed after its retries. */
  | 'failed';

export interface ActionResult {
  status: ActionStatus;
  /** For people: what changed or why not, with the values. */
  detail: string;
  /** Skipped because the deployment's heal state already records this attempt (another healer). */
  alreadyTaken?: boolean;
}

/** The object a heal acts on. Deployments today; Argo Rollouts are meant to be the next kind. */
export interface HealTargetRef {
  kind: 'Deployment';
  namespace: string;
  name: string;
}

/** An HPA whose minReplicas the healer raised, with the value to restore. */
export interface RaisedHpa {
  name: string;
  originalMinReplicas: number;
}

export interface ScaleUpResult extends ActionResult {
  /** Set when an HPA's minReplicas was raised (so the caller records it for the restore). */
  hpa?: RaisedHpa;
}

/**
 * The cluster operations the ladder needs from one kind of heal target, each one call. A new
 * kind (an Argo Rollout: restart through `spec.restartAt`, rollback by abort/undo to the stable
 * ReplicaSet, scale through the scale subresource) is one more implementation of this.
 */
export interface TargetActions<S = unknown> {
  /** Rolls out new pods; `state` goes into the same write. */
  restart(ref: HealTargetRef, opts: { at: Date; state?: S }): Promise<ActionResult>;
  /** Back to the previous release; `state` goes into the same write. */
  rollback(ref: HealTargetRef, opts: { state?: S }): Promise<ActionResult>;
  scaleUp(ref: HealTargetRef, opts: { step: number; maxReplicas: number }): Promise<ScaleUpResult>;
  /** Puts an HPA's minReplicas back. */
  restoreHpa(ref: HealTargetRef, hpa: RaisedHpa): Promise<ActionResult>;
  clearCache(ref: HealTargetRef, spec: CacheClearSpec): Promise<ActionResult>;
}
