/**
 * Whether the rollout a step caused is done, from the deployment's status. Pure: what `kubectl
 * rollout status` checks (observedGeneration ≥ generation; updated = available = desired; no old
 * pods left), plus `ProgressDeadlineExceeded` as a failed rollout.
 */
import type { WorkloadView } from './types.js';

export type RolloutState =
  | { kind: 'complete' }
  | { kind: 'progressing'; detail: string }
  | { kind: 'failed'; detail: string };

/**
 * The view is read after the step's own write (each cycle lists the deployments afresh), so its
 * generation includes the step. Without a view the rollout is taken as complete.
 */
export function rolloutState(w: WorkloadView | undefined): RolloutState {
  if (!w) return { kind: 'complete' };
  if (w.observedGeneration < w.generation) {
    return {
      kind: 'progressing',
      detail: `controller has not observed generation ${w.generation} yet (observed ${w.observedGeneration})`,
    };
  }
  const counts = `${w.updated}/${w.desired} updated, ${w.available}/${w.desired} available${w.total > w.updated ? `, ${w.total - w.updated} old pods` : ''}`;
  const complete = w.updated >= w.desired && w.available >= w.desired && w.total <= w.desired;
  if (complete && !w.unfinished) return { kind: 'complete' };
  if (w.deadlineExceeded) {
    return {
      kind: 'failed',
      detail: `rollout exceeded its progress deadline (${w.progressDeadlineSeconds} s): ${counts}`,
    };
  }
  return {
    kind: 'progressing',
    detail: [complete ? undefined : counts, w.unfinished].filter(Boolean).join('; '),
  };
}
