import type { FaultModel } from './types.js';

/** A wedged connection pool answers a share of requests with 5xx. */
export const errorBurst: FaultModel<{ errorRate: number; durationSec: number }> = {
  kind: 'error_burst',
  scope: 'pods',
  description: 'a wedged connection pool in the running pods answers a share of requests with 5xx',
  cures: ['restart'],
  cureNote: 'a rollout restart gives fresh pods with fresh connection pools',
  defaults: { errorRate: 0.3, durationSec: 0 },
  effect: (p) => ({ errorRateAdd: p.errorRate }),
};
