import type { FaultModel } from './types.js';

/** A dependency outage nothing in the cluster can fix: the "needs attention" path. */
export const incurable: FaultModel<{ errorRate: number; durationSec: number }> = {
  kind: 'incurable',
  scope: 'deployment',
  description: 'an external dependency is down; errors persist whatever the cluster does',
  cures: [],
  cureNote: 'nothing in the cluster cures it; a human must (DELETE the fault)',
  defaults: { errorRate: 0.4, durationSec: 0 },
  effect: (p) => ({ errorRateAdd: p.errorRate, latencyMultiplier: 1.5 }),
};
