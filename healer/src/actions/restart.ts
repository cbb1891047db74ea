/**
 * Rollout restart, as `kubectl rollout restart` does it: a new `kubectl.kubernetes.io/restartedAt`
 * annotation on the pod template, so the deployment controller rolls out a new ReplicaSet.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { RESTARTED_AT, releaseOf } from '../sources/workload.js';
import {
  HealStateConflictError,
  patchDeploymentVersioned,
  stateAnnotations,
  type PersistedHealState,
  type VersionedPatchOptions,
} from './state.js';
import { describeError, holdReason, isLostLeadership, type KubeClients } from './kube.js';
import type { ActionResult } from './types.js';

export { RESTARTED_AT };

export interface RestartOptions extends VersionedPatchOptions {
  /** When the restart happens (the annotation's value). */
  at: Date;
  /** Heal state written in the same patch, so the step and its record are one atomic write. */
  state?: PersistedHealState;
}

/**
 * Refuses a deployment a human holds (paused, being deleted). With a fence, skips when the heal
 * state changed since it was read (another healer took this step; a newer leader wrote).
 */
export async function restartDeployment(
  k: KubeClients,
  namespace: string,
  name: string,
  opts: RestartOptions,
): Promise<ActionResult> {
  let refused: string | undefined;
  const build = (dep: V1Deployment): Record<string, unknown> | undefined => {
    refused = holdReason(dep);
    if (refused) return undefined;
    return {
      metadata: opts.state ? { annotations: stateAnnotations(opts.state) } : {},
      spec: { template: { metadata: { annotations: { [RESTARTED_AT]: opts.at.toISOString() } } } },
    };
  };
  try {
    const res = await patchDeploymentVersioned(k, namespace, name, build, opts);
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
