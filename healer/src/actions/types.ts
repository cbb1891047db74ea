import type { TargetKind } from '../kinds/types.js';
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
  /** Skipped because the heal state changed since it was read (another healer took the step). */
  alreadyTaken?: boolean;
  /** A refusal that retrying cannot change (no earlier release to roll back to). */
  permanent?: boolean;
  /** The release (template fingerprint) the target runs after the write. */
  release?: string;
  /** The release a rollback rolled back from. */
  fromRelease?: string;
}

/** The object a heal acts on: a Deployment or an Argo Rollout (`kinds/`). */
export interface HealTargetRef {
  kind: TargetKind;
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
  /** Set when the replicas were raised directly (so the caller returns them on recovery). */
  scaled?: { from: number; to: number };
}

/**
 * The cluster operations the ladder needs from a heal target, each one call (`WorkloadActions`
 * routes each to the target's kind, `kinds/`). `S` is the heal state written with a change; `F`
 * the fencing a write checks.
 */
export interface TargetActions<S = unknown, F = unknown> {
  /** Rolls out new pods; `state` goes into the same write. */
  restart(ref: HealTargetRef, opts: { at: Date; state?: S; fence?: F }): Promise<WrittenResult<S>>;
  /** Back to the previous good release; `state` goes into the same write. */
  rollback(
    ref: HealTargetRef,
    opts: { state?: S; fence?: F; badReleases?: readonly string[] },
  ): Promise<WrittenResult<S>>;
  scaleUp(ref: HealTargetRef, opts: { step: number; maxReplicas: number }): Promise<ScaleUpResult>;
  /** Gives back replicas the healer added, if they are still what it set. */
  returnReplicas(ref: HealTargetRef, scaled: { from: number; to: number }): Promise<ActionResult>;
  /** Puts an HPA's minReplicas back. */
  restoreHpa(ref: HealTargetRef, hpa: RaisedHpa): Promise<ActionResult>;
  clearCache(ref: HealTargetRef, spec: CacheClearSpec): Promise<ActionResult>;
}

/** A result whose write also carried the heal state (`state`: exactly what was written). */
export interface WrittenResult<S> extends ActionResult {
  state?: S;
}
