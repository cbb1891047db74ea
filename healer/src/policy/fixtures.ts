import type { WorkloadView } from './types.js';

/** A deployment whose rollout is complete (20/20), release `r1`, for tests; `over` applied. */
export function workload(over: Partial<WorkloadView> = {}): WorkloadView {
  return {
    generation: 5,
    observedGeneration: 5,
    desired: 20,
    updated: 20,
    available: 20,
    total: 20,
    deadlineExceeded: false,
    progressDeadlineSeconds: 600,
    paused: false,
    deleting: false,
    release: 'r1',
    revision: 3,
    ...over,
  };
}
