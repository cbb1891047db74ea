import type { FaultModel } from './types.js';

/** Requests slow down (a degraded downstream connection), errors stay low. */
export const latencyRegression: FaultModel<{ addSeconds: number; durationSec: number }> = {
  kind: 'latency_regression',
  scope: 'pods',
  description: 'every request in the running pods waits on a degraded downstream connection',
  cures: ['restart'],
  cureNote: 'a rollout restart re-establishes the downstream connections',
  defaults: { addSeconds: 0.8, durationSec: 0 },
  effect: (p) => ({ latencyAddSeconds: p.addSeconds, errorRateAdd: 0.01 }),
};
