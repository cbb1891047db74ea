import type { FaultModel } from './types.js';

/** A runaway loop in the running processes multiplies CPU per request; latency follows. */
export const cpuSaturation: FaultModel<{ factor: number; durationSec: number }> = {
  kind: 'cpu_saturation',
  scope: 'pods',
  description:
    'a runaway loop multiplies CPU demand; the container hits its limit and is throttled',
  cures: ['restart'],
  cureNote: 'a rollout restart replaces the spinning processes',
  defaults: { factor: 6, durationSec: 0 },
  effect: (p) => ({ cpuDemandMultiplier: p.factor }),
};
