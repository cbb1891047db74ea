/**
 * Rollout restart, as `kubectl rollout restart` does it: a new `kubectl.kubernetes.io/restartedAt`
 * annotation on the pod template, so the deployment controller rolls out a new ReplicaSet.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import {
  readPersisted,
  patchDeploymentVersioned,
  stateAnnotations,
  type PersistedHealState,
  type VersionedPatchOptions,
} from './state.js';
import { describeError, type KubeClients } from './kube.js';
import type { ActionResult } from './types.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface RestartOptions extends VersionedPatchOptions {
  /** When the restart happens (the annotation's value). */
  at: Date;
  /** Heal state written in the same patch, so the step and its record are one atomic write. */
  state?: PersistedHealState;
}

/** Refuses paused deployments; skips when the re-read state shows this attempt already taken. */
export async function restartDeployment(
  k: KubeClients,
  namespace: string,
  name: string,
  opts: RestartOptions,
): Promise<ActionResult> {
  let skipped: string | undefined;
  let refused: string | undefined;
  const build = (dep: V1Deployment): Record<string, unknown> | undefined => {
    if (dep.spec?.paused) {
      refused = 'deployment is paused (kubectl rollout resume first)';
      return undefined;
    }
    const current = readPersisted(dep).state;
    if (opts.state && current && opts.state.attempt > 0 && current.attempt >= opts.state.attempt) {
      skipped = `attempt ${opts.state.attempt} already recorded (another healer took this step)`;
      return undefined;
    }
    return {
      metadata: opts.state ? { annotations: stateAnnotations(opts.state) } : {},
      spec: { template: { metadata: { annotations: { [RESTARTED_AT]: opts.at.toISOString() } } } },
    };
  };
  try {
    const res = await patchDeploymentVersioned(k, namespace, name, build, opts);
    if (!res && refused) return { status: 'refused', detail: refused };
    if (!res && skipped) return { status: 'skipped', detail: skipped, alreadyTaken: true };
    if (!res) return { status: 'skipped', detail: 'nothing to do' };
    return { status: 'done', detail: `rollout restart at ${opts.at.toISOString()}` };
  } catch (err) {
    return { status: 'failed', detail: `rollout restart failed: ${describeError(err)}` };
  }
}
