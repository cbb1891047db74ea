/**
 * Rollout restart as the kind's own tooling does it: for a Deployment a new
 * `kubectl.kubernetes.io/restartedAt` annotation on the pod template (`kubectl rollout restart`),
 * for an Argo Rollout `spec.restartAt` (`kubectl argo rollouts restart`).
 */
import type { WorkloadKind, WorkloadObject } from '../kinds/types.js';
import { RESTARTED_AT, releaseOf } from '../sources/workload.js';
import {
  HealStateConflictError,
  patchVersioned,
  stateAnnotations,
  type PersistedHealState,
  type VersionedPatchOptions,
} from './state.js';
import { describeError, isLostLeadership } from './kube.js';
import type { ActionResult } from './types.js';

export { RESTARTED_AT };

export interface RestartOptions extends VersionedPatchOptions {
  /** When the restart happens (the annotation's value). */
  at: Date;
  /** Heal state written in the same patch, so the step and its record are one atomic write. */
  state?: PersistedHealState;
}

/**
 * Refuses a target a human holds (paused, being deleted). With a fence, skips when the heal
 * state changed since it was read (another healer took this step; a newer leader wrote).
 */
export async function restartWorkload(
  kind: WorkloadKind,
  namespace: string,
  name: string,
  opts: RestartOptions,
): Promise<ActionResult> {
  let refused: string | undefined;
  const build = (obj: WorkloadObject): Record<string, unknown> | undefined => {
    refused = kind.holdReason(obj) ?? kind.restartRefusal?.(obj);
    if (refused) return undefined;
    const change = kind.restartPatch(opts.at);
    return {
      ...change,
      metadata: opts.state ? { annotations: stateAnnotations(opts.state) } : {},
    };
  };
  try {
    const res = await patchVersioned(kind, namespace, name, build, opts);
    if (!res && refused) return { status: 'refused', detail: refused };
    if (!res) return { status: 'skipped', detail: 'nothing to do' };
    return {
      status: 'done',
      detail: `rollout restart at ${opts.at.toISOString()}`,
      release: releaseOf(res.spec?.template),
    };
  } catch (err) {
    if (err instanceof HealStateConflictError)
      return { status: 'skipped', detail: err.message, alreadyTaken: true };
    if (isLostLeadership(err)) throw err;
    return { status: 'failed', detail: `rollout restart failed: ${describeError(err)}` };
  }
}
