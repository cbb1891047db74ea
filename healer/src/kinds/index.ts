/** The kinds of heal target, built once from the configured list (see `types.ts`). */
import type { KubeClients } from '../actions/kube.js';
import { DeploymentKind } from './deployment.js';
import { RolloutKind } from './rollout.js';
import { TARGET_KINDS, type TargetKind, type WorkloadKind, type WorkloadKinds } from './types.js';

export * from './types.js';

export function createKinds(
  kube: Pick<KubeClients, 'apps' | 'custom'>,
  enabled: readonly TargetKind[] = TARGET_KINDS,
): WorkloadKinds {
  const all: Record<TargetKind, () => WorkloadKind> = {
    Deployment: () => new DeploymentKind(kube.apps),
    Rollout: () => new RolloutKind(kube.custom),
  };
  return Object.fromEntries(enabled.map((k) => [k, all[k]()])) as WorkloadKinds;
}

/** The kind's client, or an error naming the kinds configured (a bug or a stale ref). */
export function kindOf(kinds: WorkloadKinds, kind: TargetKind): WorkloadKind {
  const k = kinds[kind];
  if (!k)
    throw new Error(
      `heal target kind ${kind} is not enabled (kinds: ${Object.keys(kinds).join(', ')})`,
    );
  return k;
}
